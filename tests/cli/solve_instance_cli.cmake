# solve FILE on an instance of every level (issue 16 part 3): kOV text and
# binary, MaxIP text and binary, the explicit Gap-MaxIP, an attention
# directory (its manifest's threshold, or --threshold), format detection and
# --format, and the witness mapped back to the CNF the provenance names.
# The instances are written by reduce in a fixture first. Included from
# CMakeLists.txt.
set(SI ${CLI_OUT}/solve-instance)
file(MAKE_DIRECTORY ${SI})
function(sethkit_instance name)
  string(JOIN "|" args reduce ${ARGN} --quiet)
  add_test(NAME cli_instance_${name}
    COMMAND ${CMAKE_COMMAND} -DSETHKIT=$<TARGET_FILE:sethkit> -DARGS=${args} -DEXPECT_RC=0
            -DWORKDIR=${PROJECT_SOURCE_DIR} -P ${CLI_CHECK})
  set_tests_properties(cli_instance_${name} PROPERTIES FIXTURES_SETUP instances)
endfunction()
sethkit_instance(kov_text examples/uf20-01.cnf --to kov -o ${SI}/uf20.kov)
sethkit_instance(kov_binary examples/uf20-01.cnf --to kov --binary -o ${SI}/uf20.bin)
sethkit_instance(kov_unsat examples/random3-14-unsat.cnf --to kov --k 2 -o ${SI}/unsat.kov)
sethkit_instance(maxip_text examples/pigeonhole-3-2.cnf --k 2 --to maxip -o ${SI}/php.maxip)
sethkit_instance(maxip_binary examples/tiny-sat.cnf --k 2 --to maxip --binary -o ${SI}/tiny.maxipbin)
sethkit_instance(gap examples/tiny-sat.cnf --k 2 --to gap-maxip -o ${SI}/tiny.gap)
sethkit_instance(attention_sat examples/tiny-sat.cnf --to attention -o ${SI}/tiny.att)
sethkit_instance(attention_unsat examples/pigeonhole-3-2.cnf --k 2 --to attention -o ${SI}/php.att)

function(sethkit_solve_instance name rc regex)
  sethkit_cli_test(solve_instance_${name} ${rc} "${regex}" solve ${ARGN})
  set_tests_properties(cli_solve_instance_${name} PROPERTIES FIXTURES_REQUIRED instances)
endfunction()
# The mapped-back assignment is checked on the CNF by solve; the regex checks
# that it is printed and that the tuple has one index per party.
sethkit_solve_instance(kov_text 10 "kov instance: k = 3, n = \\[128,128,64\\], d = 91.*s YES\nw [0-9]+ [0-9]+ [0-9]+\nc witness mapped back to examples/uf20-01.cnf and checked\nv "
  ${SI}/uf20.kov)
sethkit_solve_instance(kov_binary 10 "kov instance.*s YES\nw [0-9]+ [0-9]+ [0-9]+\n$" ${SI}/uf20.bin)
sethkit_solve_instance(kov_unsat 20 "s NO\n$" ${SI}/unsat.kov --quiet)
sethkit_solve_instance(maxip_text 20 "maxip instance: k = 2, n = \\[8,8\\], d = 18.*s NO" ${SI}/php.maxip)
sethkit_solve_instance(maxip_binary 10 "maxip instance: k = 2.*s YES\nw [0-9]+ [0-9]+\n" ${SI}/tiny.maxipbin)
sethkit_solve_instance(maxip_threshold 20 "s NO" ${SI}/tiny.maxipbin --threshold 1000)
sethkit_solve_instance(gap 10 "s YES\nw [0-9]+ [0-9]+\nc witness mapped back to examples/tiny-sat.cnf and checked\nv " ${SI}/tiny.gap)
sethkit_solve_instance(attention_sat 10 "attention instance: k = 3, n = \\[2,4,4\\].*s YES\nw [0-9]+ [0-9]+ [0-9]+\nc witness mapped back to examples/tiny-sat.cnf and checked\nv "
  ${SI}/tiny.att)
sethkit_solve_instance(attention_unsat 20 "attention exact.*s NO" ${SI}/php.att)
sethkit_solve_instance(attention_threshold 10 "s YES\nw [0-9 ]+\nc witness not mapped back: --threshold changes" ${SI}/php.att --threshold -1e300)
sethkit_solve_instance(json_kov 10 "\"answer\": \"YES\".*\"assignment\": \\[.*\"format\": \"kov\".*\"instance\": \\{\n *\"bytes\": [0-9.]+,\n *\"d\": 91,\n *\"k\": 3,\n *\"level\": \"kov\",\n *\"n\": \\[\n *128,.*\"mapped_back\": \\{.*\"checked\": true.*\"times\": \\{.*\"map_back\".*\"witness\": \\["
  ${SI}/uf20.kov --json)
sethkit_solve_instance(json_attention 20 "\"answer\": \"NO\".*\"margin\": \\{.*\"closest_no_log_o\": -?[0-9]" ${SI}/php.att --json)
sethkit_solve_instance(format_forced 1 "php.maxip.*expected" ${SI}/php.maxip --format kov)
sethkit_cli_test(solve_instance_no_manifest 1 "small-bounded: the attention directory has no manifest.json with a row map" solve tests/data/attention/small-bounded)
sethkit_cli_test(solve_instance_unknown_format 1 "cannot tell the format.*pass --format" solve tests/cli/data/check-stats-unknown.txt)
sethkit_cli_test(solve_instance_cnf_threshold 1 "--threshold: applies to instance files" solve examples/tiny-sat.cnf --threshold 3)
sethkit_cli_test(usage_solve_format 2 "--format" solve examples/tiny-sat.cnf --format pdf)
# --split: the groups reach the kOV level, are recorded in the provenance and
# used again when a witness is mapped back.
sethkit_cli_test(solve_split_interleaved 10 "s SATISFIABLE\nv " solve examples/uf20-01.cnf --split interleaved)
sethkit_cli_test(solve_split_unsat 20 "s UNSATISFIABLE" solve examples/random3-14-unsat.cnf --split 8-14,1-7 --k 2 --via maxip)
sethkit_cli_test(solve_split_bad 1 "--split: variable 8 is in no group of '1-7,9-14,15-20'" solve examples/uf20-01.cnf --split 1-7,9-14,15-20)
sethkit_instance(kov_split examples/uf20-01.cnf --to kov --split 15-20,1-7,8-14 -o ${SI}/split.kov)
sethkit_solve_instance(kov_split 10 "kov instance: k = 3, n = \\[64,128,128\\].*c witness mapped back to examples/uf20-01.cnf and checked" ${SI}/split.kov)
sethkit_instance(kov_interleaved examples/uf20-01.cnf --to kov --split interleaved -o ${SI}/interleaved.kov)
add_test(NAME cli_reduce_split_provenance
  COMMAND ${CMAKE_COMMAND} -DFILE=${SI}/interleaved.kov
          "-DEXPECT_RE=c sethkit reduce --to kov --k 3 --split interleaved .*c party 1: variables 1 4 7 10 13 16 19\n"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/file_matches.cmake)
set_tests_properties(cli_reduce_split_provenance PROPERTIES FIXTURES_REQUIRED instances)
