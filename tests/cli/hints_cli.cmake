# Refusal hints name only what the subcommand has, and never suggest what
# cannot help (issue 14 part 5; reductions/hints.hpp). Each test matches the
# hint the subcommand should give and rejects the one it must not give.
# Included from tests/cli/CMakeLists.txt (sethkit_cli_test, CLI_OUT).
set(HINT_DIR ${CMAKE_CURRENT_BINARY_DIR}/hints)
file(MAKE_DIRECTORY ${HINT_DIR})
file(WRITE ${HINT_DIR}/v600.cnf "p cnf 600 0\n")             # 2^38 vectors a party even at k = 16
file(WRITE ${HINT_DIR}/v200.cnf "p cnf 200 1\n200 0\n")      # >= 2^12 vectors a party at every k

# --- the protocol route: each subcommand's own way to the direct route ----
set(CLI_EXTRA "-DREJECT_RE=--route direct")
sethkit_cli_test(hint_solve_gap 1 "refused: .*the protocol route fits only tiny formulas; use --via maxip for the direct route"
  solve examples/uf20-01.cnf --via gap-maxip)
set(CLI_EXTRA "-DREJECT_RE=--via")
sethkit_cli_test(hint_solve_attention_protocol 1 "refused: .*the protocol route fits only tiny formulas; use --route direct for the direct route"
  solve examples/uf20-01.cnf --via attention --route protocol)
sethkit_cli_test(hint_reduce_gap 1 "sethkit reduce: refused: .*the protocol route fits only tiny formulas; use --to maxip --route direct"
  reduce examples/uf20-01.cnf --to gap-maxip -o ${CLI_OUT}/hint-never.gap)
set(CLI_EXTRA "-DREJECT_RE=--via|--to maxip")
sethkit_cli_test(hint_reduce_attention_protocol 1 "sethkit reduce: refused: .*the protocol route fits only tiny formulas; use --route direct for the direct route"
  reduce examples/uf20-01.cnf --to attention --route protocol -o ${CLI_OUT}/hint-never.att)
# verify runs each level in a child solve, which speaks verify's words.
set(CLI_EXTRA "-DREJECT_RE=--via|--route")
sethkit_cli_test(hint_verify_gap 0 "gap-maxip\\(k=3\\) skipped: refused: .*leave gap-maxip out of --levels \\(the maxip level checks the direct route\\)"
  verify examples/uf20-01.cnf --levels gap-maxip --k 3 --reference brute)
sethkit_cli_test(hint_verify_attention_protocol 0 "attention/protocol\\(k=2\\) skipped: refused: .*the attention\\(k=2\\) column checks the direct route"
  verify examples/uf20-01.cnf --levels attention --k 2 --reference brute)

# --- brute force: solve's --via, verify's --reference and --levels --------
set(CLI_EXTRA "-DREJECT_RE=--reference|--levels")
sethkit_cli_test(hint_solve_brute_force 1 "refused: brute-force SAT over 41 variables .*; use --via kov, or --via cadical"
  solve tests/data/wide-41.cnf --via sat)
set(CLI_EXTRA "-DREJECT_RE=--via")
sethkit_cli_test(hint_verify_reference_brute 1 "wide-41-used.cnf +error: brute-force SAT over 41 variables .*give --expect sat\\|unsat, or put cadical or minisat on PATH"
  verify tests/data/wide-41-used.cnf --reference brute --levels kov --k 3)
sethkit_cli_test(hint_verify_level_brute 0 "sat skipped: refused: brute-force SAT over 41 variables .*leave sat out of --levels"
  verify tests/data/wide-41-used.cnf --expect sat --levels sat)

# --- a larger k: suggested only when some k fits, and then which ----------
set(CLI_EXTRA "-DREJECT_RE=larger k")
sethkit_cli_test(hint_k_fits 1 "refused: the kOV instance \\(2 parties, .*needs 24.00 MiB \\(limit 8.00 MiB\\); raise --max-bytes; --k 3 fits"
  solve tests/data/wide-41.cnf --via kov --k 2 --max-bytes 8M --keep-unused)
set(CLI_EXTRA "-DREJECT_RE=--k [0-9]+ fits|larger --k|use a larger")
sethkit_cli_test(hint_no_k_fits_party_limit 1 "refused: the kOV instance would have 2\\^300 vectors in party 1, above the limit 2\\^33 \\(no larger k up to 16 fits either\\)"
  solve ${HINT_DIR}/v600.cnf --via kov --k 2 --keep-unused)
sethkit_cli_test(hint_no_k_fits_budget 1 "refused: the kOV instance .*\\(limit 1.00 KiB\\); raise --max-bytes \\(no larger k up to 16 fits either\\)"
  solve ${HINT_DIR}/v200.cnf --via kov --k 8 --keep-unused --max-bytes 1K)
# verify's children keep verify's --k (verify has it too).
set(CLI_EXTRA "-DREJECT_RE=larger k")
sethkit_cli_test(hint_verify_k_fits 0 "kov\\(k=2\\) skipped: refused: .*; --k 3 fits"
  verify tests/data/wide-41-used.cnf --expect sat --levels kov --k 2 --max-bytes 8M)
# reduce's output size: a larger --k only when its output fits.
set(CLI_EXTRA "-DREJECT_RE=--k")
sethkit_cli_test(hint_reduce_output_no_k 1 "refused: writing the kov instance .*\\(limit 1.00 KiB\\); raise --max-bytes$"
  reduce examples/uf20-01.cnf --to kov -o ${CLI_OUT}/hint-never.kov --max-bytes 1K)
set(CLI_EXTRA)
sethkit_cli_test(hint_reduce_output_k 1 "refused: writing the kov instance .*\\(limit 8.00 KiB\\); raise --max-bytes, or use --k [0-9]+ \\(its output fits\\)"
  reduce examples/uf20-01.cnf --to kov -o ${CLI_OUT}/hint-never.kov --max-bytes 8K)
# codes: a smaller --q only when one builds the code within --max-work.
sethkit_cli_test(hint_codes_smaller_q 1 "refused: the Hermitian code over GF\\(251\\^2\\).*raise --max-work or use --q [0-9]+ \\(or smaller\\)"
  codes --code hermitian --q 251 --a 3)
set(CLI_EXTRA "-DREJECT_RE=use --q")
sethkit_cli_test(hint_codes_no_smaller_q 1 "refused: the Hermitian code over GF\\(251\\^2\\).*raise --max-work \\(no smaller prime --q builds L\\(3 P\\) within it\\)"
  codes --code hermitian --q 251 --a 3 --max-work 10)
set(CLI_EXTRA)
