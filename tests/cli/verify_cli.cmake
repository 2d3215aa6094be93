# verify: every status (agree, DISAGREE, skipped, timeout) and exit code
# (0, 4, 3, 1, 2), --strict, --levels, the time limits, streaming rows and
# the measured gap and attention margin. Included from CMakeLists.txt.
sethkit_cli_test(verify_agree_all 0 "tiny-sat.cnf .*SAT \\(cadical\\) +SAT\\+w .* yes\n.*summary: 1 files, [0-9]+ levels: [0-9]+ agree, 0 DISAGREE"
  verify examples/tiny-sat.cnf --k 2)
# --expect gives a wrong answer: every checked level disagrees, exit 4.
sethkit_cli_test(verify_disagree 4 "tiny-sat.cnf .*UNSAT \\(--expect\\) +DISAGREE .*DISAGREE\n  sat DISAGREE: the level says SAT, the reference UNSAT.*summary: .* 0 agree, [1-9][0-9]* DISAGREE"
  verify examples/tiny-sat.cnf --k 2 --levels sat,kov --expect unsat)
# Every level refused (41 variables, 8 MiB): skipped with the refusal, never agree.
set(CLI_EXTRA "-DREJECT_RE=SAT\\+w|[1-9][0-9]* agree")
sethkit_cli_test(verify_all_refused 0 "wide-41-used.cnf .* skipped +skipped +skipped .* unchecked\n  sat skipped: refused: brute-force SAT over 41 variables.*  kov\\(k=2\\) skipped: refused: .*summary: 1 files, 6 levels: 0 agree, 0 DISAGREE, 6 skipped, 0 timeout"
  verify tests/data/wide-41-used.cnf --k 2 --max-bytes 8M)
sethkit_cli_test(verify_all_refused_strict 3 "unchecked.*6 skipped.*--strict: a skip fails the run"
  verify tests/data/wide-41-used.cnf --k 2 --max-bytes 8M --strict)
set(CLI_EXTRA)
sethkit_cli_test(verify_all_refused_json 0 "\"status\": \"skipped\".*\"verdict\": \"unchecked\".*\"all_agree\": false"
  verify tests/data/wide-41-used.cnf --k 2 --max-bytes 8M --json)
sethkit_cli_test(verify_timeout_level 3 "timeout.*kov\\(k=2\\) timeout: over --timeout-level 0.001 s.*[1-9][0-9]* timeout"
  verify examples/uf20-01.cnf --k 2 --levels kov --timeout-level 0.001)
sethkit_cli_test(verify_timeout_run 3 "the run's --timeout 0.001 s was reached.*0 agree.*2 timeout"
  verify examples/uf20-01.cnf --k 2 --levels kov,maxip --timeout 0.001)
sethkit_cli_test(verify_levels 0 "file .* kov\\(k=2\\) +kov\\(k=3\\) +agree\n.*summary: 1 files, 2 levels: 2 agree"
  verify examples/pigeonhole-3-2.cnf --k 2,3 --levels kov)
sethkit_cli_test(usage_verify_levels 2 "--levels" verify examples/tiny-sat.cnf --levels nonsense)
sethkit_cli_test(usage_verify_timeout 2 "--timeout-level" verify examples/tiny-sat.cnf --timeout-level -1)
sethkit_cli_test(usage_verify_json_jsonl 2 "excludes" verify examples/tiny-sat.cnf --json --jsonl)
sethkit_cli_test(verify_jsonl 0 "^\\{\"agree\":true,[^\n]*\"file\":\"examples/tiny-sat.cnf\"[^\n]*\n\\{\"agree\":true,[^\n]*pigeonhole[^\n]*\n\\{\"summary\":\\{[^\n]*\"exit_code\":0"
  verify examples/tiny-sat.cnf examples/pigeonhole-3-2.cnf --k 2 --levels kov,maxip --jsonl)
# The measured gap: NO (pigeonhole is UNSAT) is the largest inner product
# against the NO bound; YES reaches the threshold n_C; attention's margin.
sethkit_cli_test(verify_gap_no 0 "gap-maxip\\(k=2\\) gap: NO: the largest inner product is [0-9]+ <= NO bound 2 \\(YES threshold 4\\)"
  verify examples/pigeonhole-3-2.cnf --k 2 --levels gap-maxip)
sethkit_cli_test(verify_gap_yes 0 "gap-maxip\\(k=3\\) gap: YES: the witness tuple reaches ([0-9]+) \\(YES threshold \\1,"
  verify examples/tiny-sat.cnf --k 3 --levels gap-maxip)
sethkit_cli_test(verify_margin 0 "attention\\(k=2\\) margin: log O threshold -?[0-9.]+; closest NO row -?[0-9.]+ \\(margin [0-9.]+\\), closest YES row none"
  verify examples/pigeonhole-3-2.cnf --k 2 --levels attention)
sethkit_cli_test(verify_margin_json 0 "\"margin\": \\{\n *\"closest_no_log_o\": .*\"closest_yes_log_o\": -?[0-9]"
  verify examples/tiny-sat.cnf --k 2 --levels attention --json)
add_test(NAME cli_verify_streams
  COMMAND /bin/sh ${CMAKE_CURRENT_SOURCE_DIR}/verify_stream.sh $<TARGET_FILE:sethkit> ${PROJECT_SOURCE_DIR}
          ${CLI_OUT}/verify-stream.txt)
