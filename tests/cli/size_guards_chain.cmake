# Size guards along the chain (issue 9, part 5): SAT -> kOV -> MaxIP /
# Gap-MaxIP -> attention, and the attention backends. Every allocation the
# input drives is estimated first and refused over its limit: exit 1 with the
# size in the message, and nothing written. Included from
# tests/cli/CMakeLists.txt (uses sethkit_cli_test and CLI_OUT from there).
set(CHAIN_GUARD_DIR ${CMAKE_CURRENT_BINARY_DIR}/size-guards-chain)
file(MAKE_DIRECTORY ${CHAIN_GUARD_DIR})
# No clauses: kOV dimension d = 0 (solve answers it at once unless
# --keep-unused asks for the literal reduction, guarded here), so the vectors take no storage, yet every
# solver spends memory per vector (this once ran out of memory, or shifted
# 1 << 45 into undefined behaviour).
file(WRITE ${CHAIN_GUARD_DIR}/v90-c0.cnf "p cnf 90 0\n")
file(WRITE ${CHAIN_GUARD_DIR}/v40-c0.cnf "p cnf 40 0\n")
file(WRITE ${CHAIN_GUARD_DIR}/v60-c1.cnf "p cnf 60 1\n1 0\n")

# No message here may print a float count or an infinite size.
set(CLI_EXTRA "-DREJECT_RE=inf EiB|[0-9]\\.000000|e\\+308|internal error")

# kMaxPartyVectors (2^33): 90 variables over k = 2 is 2^45 vectors a party.
sethkit_cli_test(guard_kov_party_vectors 1
  "sethkit solve: refused: the kOV instance would have 2\\^45 vectors in party 1, above the limit 2\\^33"
  solve ${CHAIN_GUARD_DIR}/v90-c0.cnf --via kov --k 2 --keep-unused)
# d = 0 still costs a word a vector: 3 x 2^30 vectors, 24 GiB.
sethkit_cli_test(guard_kov_bytes_no_clauses 1
  "refused: the kOV instance \\(3 parties, 2\\^30 vectors each, d = 0\\) needs 24.00 GiB \\(limit 1.00 GiB\\)"
  solve ${CHAIN_GUARD_DIR}/v90-c0.cnf --via kov --k 3 --keep-unused)
# A MaxIP file of empty vectors is a "-" line each: 2 x 2^20 of them.
sethkit_cli_test(guard_reduce_maxip_no_clauses 1
  "refused: writing the maxip instance to .*x.maxip needs 4.00 MiB \\(limit 1.00 MiB\\)"
  reduce ${CHAIN_GUARD_DIR}/v40-c0.cnf --to maxip --k 2 --max-bytes 1M -o ${CLI_OUT}/guard-x.maxip)
# Gap-MaxIP brute force over kMaxGapMaxIpWork, counted as powers of two.
sethkit_cli_test(guard_gap_maxip_work 1
  "refused: deciding the Gap-MaxIP instance by brute force means 2\\^60.0 tuples, about 2\\^61.6 field operations \\(limit 20000000000\\)"
  solve ${CHAIN_GUARD_DIR}/v60-c1.cnf --via gap-maxip --k 3 --keep-unused)
# Merlin's messages before any code is built (uf20: 2^62.5 per vector).
sethkit_cli_test(guard_reduce_merlin_messages 1
  "sethkit reduce: refused: Merlin's 2\\^62.5 messages per party-1 vector needs [0-9.]+ EiB \\(limit 1.00 GiB\\)"
  reduce examples/uf20-01.cnf --to gap-maxip -o ${CLI_OUT}/guard-g.maxip)
# The exact backend's O, log D and per-thread scratch against --max-bytes.
sethkit_cli_test(guard_attention_exact_bytes 1
  "sethkit attention: refused: exact attention \\(O is 2 x 1, scratch for 2 threads\\) needs 6.28 KiB \\(limit 1.00 KiB\\)"
  attention tests/data/attention/good --threads 2 --max-bytes 1K -o ${CLI_OUT}/guard-o.npy)
# --max-bytes reaches the polynomial plan too.
sethkit_cli_test(guard_attention_poly_bytes 1
  "sethkit attention: refused: polynomial attention .* rank r = C\\(d\\+g, g\\) = [0-9]+ needs .* \\(limit 4.00 KiB\\)"
  attention tests/data/attention/good --backend poly --max-bytes 4K -o ${CLI_OUT}/guard-p.npy)
set(CLI_EXTRA)
# Threads beyond kMaxThreads (1024) are a usage error, not a libgomp failure.
sethkit_cli_test(guard_attention_threads 2 "--threads: Value 5000 not in range 0 to 1024"
  attention tests/data/attention/good --threads 5000 -o ${CLI_OUT}/guard-t.npy)
sethkit_cli_test(guard_grad_threads 2 "--threads: Value 5000 not in range 0 to 1024"
  grad tests/data/attention/good --target tests/data/attention/good/Q.npy --threads 5000 -o ${CLI_OUT}/guard-g)

# solve --via attention holds the kOV, MaxIP and attention instances at once:
# one --max-bytes covers them together (uf20-01, k = 3: 3.08 MiB in all).
set(CLI_EXTRA "-DREJECT_RE=inf EiB|[0-9]\\.000000|internal error")
sethkit_cli_test(guard_attention_chain_total 1
  "refused: holding the chain's instances \\(kOV, MaxIP, attention, and the attention's data-row copy\\) needs 3.08 MiB \\(limit 2.00 MiB\\)"
  solve examples/uf20-01.cnf --via attention --k 3 --max-bytes 2M)
sethkit_cli_test(guard_attention_chain_stage 1
  "refused: the attention instance .* needs 1.42 MiB \\(limit 1.24 MiB\\).*covers the whole chain; already held by the kOV and MaxIP instances: 232.55 KiB"
  solve examples/uf20-01.cnf --via attention --k 3 --max-bytes 1500K)
# The protocol route counts Merlin's messages and the encodings too.
sethkit_cli_test(guard_attention_chain_protocol 1
  "refused: the explicit Gap-MaxIP instance .* needs 7.75 KiB \\(limit 6.48 KiB\\).*already held by the kOV instance and the protocol's tables: 1.52 KiB"
  solve examples/pigeonhole-3-2.cnf --via attention --route protocol --k 2 --max-bytes 8K)
set(CLI_EXTRA)

# --- reduce --route (issue 13, part 2): any level of either route ----------
sethkit_cli_test(reduce_route_attention_protocol 0
  "wrote .*attention k = 2, d = 62, beta = .*\\(protocol route\\), n = 8 8"
  reduce examples/pigeonhole-3-2.cnf --to attention --route protocol --k 2 -o ${CLI_OUT}/php-protocol.att)
sethkit_cli_test(reduce_route_attention_direct 0 "wrote .*attention k = 2, d = 36, beta = [^(]*\\(paper: [0-9.]+\\), n = 8 8"
  reduce examples/pigeonhole-3-2.cnf --to attention --route direct --k 2 -o ${CLI_OUT}/php-direct.att)
sethkit_cli_test(reduce_route_maxip_protocol 0
  "wrote .*gap-maxip k = 2, d = 31, YES iff max = 4, NO iff max <= 2, party sizes 56 8"
  reduce examples/pigeonhole-3-2.cnf --to maxip --route protocol --k 2 -o ${CLI_OUT}/php-protocol.maxip)
sethkit_cli_test(reduce_route_gap_direct 1 "gap-maxip is the protocol route.s level; for the direct route ask for maxip"
  reduce examples/pigeonhole-3-2.cnf --to gap-maxip --route direct --k 2 -o ${CLI_OUT}/never.gap)
sethkit_cli_test(usage_reduce_route 2 "--route" reduce examples/tiny-sat.cnf --to maxip --route sideways -o ${CLI_OUT}/never.maxip)
set(CLI_EXTRA -DNO_FILE=${CLI_OUT}/refused-route.att)
# The protocol route's attention shares one --max-bytes across the chain.
sethkit_cli_test(reduce_route_protocol_shared_budget 1
  "refused: the explicit Gap-MaxIP instance .* needs 7.75 KiB \\(limit 6.48 KiB\\).*covers the whole chain; already held by the kOV instance and the protocol's tables: 1.52 KiB"
  reduce examples/pigeonhole-3-2.cnf --to attention --route protocol --k 2 --max-bytes 8K -o ${CLI_OUT}/refused-route.att)
# Merlin's messages are refused from the plan, before any code is built.
sethkit_cli_test(reduce_route_protocol_merlin 1
  "sethkit reduce: refused: Merlin's 2\\^62.5 messages per party-1 vector needs [0-9.]+ EiB \\(limit 1.00 GiB\\)"
  reduce examples/uf20-01.cnf --to attention --route protocol -o ${CLI_OUT}/refused-route.att)
set(CLI_EXTRA)
