#!/usr/bin/env bash
# Runs bench_attention on both OpenBLAS kernel sets in one go (issue 17 part
# 6): first with OPENBLAS_CORETYPE as the environment sets it (Haswell on the
# reference machines: the AVX2 kernels; Haswell when unset), then with the
# AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX) when the CPU has AVX-512F.
# The second set names SkylakeX instead of unsetting the variable: on a
# virtual CPU whose model OpenBLAS does not know ("Intel Xeon Processor"),
# an unset variable falls back to the Prescott (SSE3) kernels, not the
# machine's real peak. The variable is changed only for the child process;
# tests and CI never touch it.
#
#   bench/run_attention_bench.sh [BUILD_DIR] [bench_attention options...]
set -euo pipefail
build=${1:-build}
shift || true
bin="$build/bench/bench_attention"
if [[ ! -x "$bin" ]]; then
  echo "run_attention_bench: $bin not found; configure with -DSETHKIT_BUILD_BENCH=ON and build --target bench_attention" >&2
  exit 2
fi
first=${OPENBLAS_CORETYPE:-Haswell}
echo "=== kernel set 1: OPENBLAS_CORETYPE=$first"
OPENBLAS_CORETYPE=$first "$bin" "$@"
if grep -qw avx512f /proc/cpuinfo; then
  echo
  echo "=== kernel set 2: OPENBLAS_CORETYPE=SkylakeX (AVX-512 kernels)"
  OPENBLAS_CORETYPE=SkylakeX "$bin" "$@"
else
  echo "=== no AVX-512F in this CPU: only the first kernel set is measured"
fi
