# Size guards of `sethkit codes` and `sethkit protocol` (issue 9, part 5):
# every allocation the input drives is estimated first and refused over its
# limit, exit 1 with the size in the message. Included from
# tests/cli/CMakeLists.txt (uses sethkit_cli_test and CLI_OUT from there).
# Each test fails when its guard is removed: the command then either runs to
# exit 0 or runs out of memory.

# Inputs made here: CNFs whose kOV instances are small but whose set tuples
# are many (2^n tuples for n variables, whatever k is).
set(SIZE_GUARD_DIR ${CMAKE_CURRENT_BINARY_DIR}/size-guards)
file(MAKE_DIRECTORY ${SIZE_GUARD_DIR})
# 19 variables, 4000 clauses: 2^19 tuples of 2 x 4000 bytes (4 GiB if listed).
set(cnf "c 19 variables, 4000 clauses (size_guards_codes_protocol.cmake)\np cnf 19 4000\n")
foreach(i RANGE 0 3999)
  math(EXPR a "${i} % 19 + 1")
  math(EXPR b "(${i} / 19) % 19 + 1")
  if(a EQUAL b)
    math(EXPR b "${a} % 19 + 1")
  endif()
  string(APPEND cnf "${a} -${b} 0\n")
endforeach()
file(WRITE ${SIZE_GUARD_DIR}/v19-c4000.cnf "${cnf}")
# One clause over 21 / 20 variables: 2^21 / 2^20 tuples, little work each.
file(WRITE ${SIZE_GUARD_DIR}/v21-c1.cnf "p cnf 21 1\n1 -21 0\n")
file(WRITE ${SIZE_GUARD_DIR}/v20-c1.cnf "p cnf 20 1\n1 -20 0\n")

# No message here may print a float count or an infinite size.
set(CLI_EXTRA "-DREJECT_RE=inf EiB|[0-9]\\.000000|e\\+308")

# --- sethkit protocol --------------------------------------------------------
# The reported case: 2^19 tuples x 4000 clauses ran out of memory at 3.8 GB.
# The --max-work check now comes before anything is listed: skipped, exit 0.
sethkit_cli_test(protocol_work_checked_before_listing 0
  "exact analysis +skipped: about 2\\^[0-9]+\\.[0-9] field operations \\(limit --max-work 2000000000\\)"
  protocol ${SIZE_GUARD_DIR}/v19-c4000.cnf --k 2)
# More tuples than kMaxProtocolTuples (2^20), however cheap each one is.
sethkit_cli_test(protocol_tuple_limit 1
  "sethkit protocol: refused: the exact analysis would list 2097152 set tuples \\(2 sets of m = 1 elements each\\), over the limit of 1048576 \\(2\\^20\\) tuples"
  protocol ${SIZE_GUARD_DIR}/v21-c1.cnf --k 2)
# Within the count, over --max-bytes: 2^20 tuples take 152 MiB.
sethkit_cli_test(protocol_tuple_bytes 1
  "sethkit protocol: refused: listing the 1048576 set tuples \\(2 sets of m = 1 elements each\\) needs 152.00 MiB \\(limit 64.00 MiB\\)"
  protocol ${SIZE_GUARD_DIR}/v20-c1.cnf --k 2 --max-bytes 64M)
# The Merlin messages kept for the analysis, over --max-bytes (checked
# first: the 4096 tuples, 608 KiB, are over it as well).
sethkit_cli_test(protocol_merlin_bytes 1
  "sethkit protocol: refused: keeping the 729 Merlin messages of 27 symbols each needs 105.36 KiB \\(limit 100.00 KiB\\)"
  protocol --m 6 --k 2 --code hermitian --max-bytes 100K)
# --max-bytes also bounds the CNF's kOV instance (was a fixed 1e9 bytes).
sethkit_cli_test(protocol_kov_bytes 1
  "sethkit protocol: refused: the kOV instance \\(2 parties, 2\\^21 vectors each, d = [0-9]+\\) needs [0-9.]+ MiB \\(limit 8.00 MiB\\)"
  protocol tests/data/wide-41.cnf --k 2 --max-bytes 8M)

# --- sethkit codes -----------------------------------------------------------
# A 300 x 65521 generator: over kMaxMatrixEntries (2^24).
sethkit_cli_test(codes_rs_generator_entries 1
  "sethkit codes: refused: Reed-Solomon generator is a 300 x 65521 matrix \\(1.97e\\+07 entries, limit 1.68e\\+07\\)"
  codes --code rs --q 65521 --n 65521 --dim 300)
# 2048 x 4096 = 2^23 entries, but 2048^2 * 4096 over kMaxEliminationWork (1e10).
sethkit_cli_test(codes_rs_elimination_work 1
  "sethkit codes: refused: Reed-Solomon generator \\(2048 x 4096\\) needs about 1.72e\\+10 field operations to eliminate \\(limit 1e\\+10\\)"
  codes --code rs --q 4099 --n 4096 --dim 2048)
# C^(8) of L(200 P_inf) over GF(17^2) is L(1600 P_inf): 1465 x 4913 (the
# same refusal as for C^(2) of L(800 P_inf), whose own elimination takes 10 s).
sethkit_cli_test(codes_hermitian_product_work 1
  "sethkit codes: refused: Hermitian C_L\\(1600 P_inf\\) over GF\\(17\\^2\\) generator \\(1465 x 4913\\) needs about 1.05e\\+10 field operations to eliminate \\(limit 1e\\+10\\)"
  codes --code hermitian --q 17 --a 200 --product 8)
# 2161 dual codewords, but MacWilliams over n = 2154 needs about 500 MiB.
sethkit_cli_test(codes_rs_macwilliams_bytes 1
  "sethkit codes: refused: the MacWilliams transform for the exact minimum distance of RS\\[2154, 2153\\] over GF\\(2161\\) \\(length n = 2154, from 2161 dual codewords\\) needs [0-9.]+ MiB \\(limit 256.00 MiB\\)"
  codes --code rs --q 2161 --n 2154 --dim 2153)
# ... and with the enumeration limit below 2161 the distance is just unknown.
sethkit_cli_test(codes_rs_macwilliams_skipped 0
  "minimum distance +unknown"
  codes --code rs --q 2161 --n 2154 --dim 2153 --max-codewords 1000)

set(CLI_EXTRA)
# codes --json reports the time of each stage (issue 16 part 5).
sethkit_cli_test(codes_json_times 0 "\"min_distance\": 5,.*\"times\": \\{\n *\"build\": [0-9.e-]+,\n *\"distance\": [0-9.e-]+,\n *\"encode\": [0-9.e-]+"
  codes --code rs --q 7 --n 7 --dim 3 --json)
