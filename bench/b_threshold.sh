#!/usr/bin/env bash
# The B-threshold experiment (issue 7, part 4): where fast tensor attention
# stops being possible as the entry bound B grows past about (log n)^{1/3}
# (paper 001, Theorems 1.3 and 1.4 / E.3), k = 3, d = 4.
#
# Runs bench/bench_poly (Google Benchmark, JSON out), then bench/b_threshold.py
# turns the JSON into
#   OUT_DIR/b_threshold.csv   one row per (sweep, c, n): B, R, status, degree g,
#                             rank r, poly time, exact time (and where it comes
#                             from: measured-full / measured-rows (time per row
#                             x n) / extrapolated-n3), measured error on the
#                             sampled rows, certified bound, speedup
#   OUT_DIR/b_threshold.png   time, rank and error against n, one curve per c
#   OUT_DIR/summary.txt       log-log slope of poly at d = 4, B = 1, eps = 1e-6
#                             between 2^12 and 2^16; speedup at n = 4096; the
#                             crossover with exact per c; bound/measured ratio
# and prints the summary.
#
#   bench/b_threshold.sh                       # default sweep (about 3-5 min on 2 cores)
#   bench/b_threshold.sh --poly_n=8:12 --poly_c=0.5,1   # quicker; flags go to bench_poly
#   BUILD_DIR=build-poly OUT_DIR=/tmp/bt bench/b_threshold.sh
#
# Needs the build (cmake; only the bench_poly target is built) and
# /usr/bin/python3; the plot needs matplotlib (Debian python3-matplotlib),
# installed here with apt-get when missing and running as root; without it the
# CSV and the summary are still written.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/b_threshold}
jobs=${JOBS:-2}
# OpenMP waiters sleep instead of spinning: on a shared 2-core machine a
# spinning waiter takes the core from the thread still working, which added
# about 35 ms to every 2-thread call (exact and poly alike); passive waiting
# costs microseconds per parallel region. Override by exporting it.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target bench_poly --parallel "$jobs" >/dev/null
mkdir -p "$out"

if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "b_threshold: installing python3-matplotlib for the plot" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends python3-matplotlib >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 &&
        apt-get install -y -q --no-install-recommends python3-matplotlib >/dev/null 2>&1; } ||
      echo "b_threshold: could not install python3-matplotlib; no PNG" >&2
  else
    echo "b_threshold: matplotlib missing (apt-get install python3-matplotlib); no PNG" >&2
  fi
fi

echo "b_threshold: $build/bench/bench_poly $*" >&2
"$build/bench/bench_poly" "$@" \
  --benchmark_out="$out/bench_poly.json" --benchmark_out_format=json |
  tee "$out/bench_poly.txt"
/usr/bin/python3 bench/b_threshold.py "$out/bench_poly.json" "$out"
