#!/usr/bin/env bash
# The landscape experiment (issue 18 part 3): for k = 2, 3, 4, entry bound B
# from 0.25 to 16 and n from 2^6 to 2^14, random and reduced instances, which
# attention backends (exact, exact in float32, poly, and sparse when
# `sethkit attention --help` lists it) certify eps = 1e-6, and how fast. The
# picture should show paper 001's result: poly fast below about
# B = (ln n)^{1/k} (Theorems 1.3/1.4 and E.3), sparse only where attention is
# peaked and the data lets it prune, and a middle band where nothing beats
# exact. bench/landscape.py does the work and says what each column means;
# this script builds sethkit and finds Python's plotting.
#
#   bench/landscape.sh                  # default grid (7 B x 5 n per k; about 5-10 min on 2 cores)
#   FULL=1 bench/landscape.sh           # the whole grid (13 B x 9 n per k)
#   TINY=1 bench/landscape.sh           # 2 cells and one reduced instance (the ctest, seconds)
#   OUT_DIR=docs bench/landscape.sh     # docs/landscape.{csv,png,md}
#   SETHKIT=build/sethkit ...           # use this binary, build nothing
#   EXACT_MAX_S=4 RUN_TIMEOUT=10 ...    # skip exact past a predicted 4 s; --timeout of each run
#
# Writes OUT_DIR/landscape.csv, landscape.png (needs matplotlib: Debian
# python3-matplotlib; without it the CSV and summary are still written) and
# landscape.md, and prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/landscape}
jobs=${JOBS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}  # see b_threshold.sh: no spinning waiters on 2 cores

if [ -z "${SETHKIT:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" --target sethkit --parallel "$jobs" >/dev/null
  SETHKIT=$build/sethkit
fi
if [ ! -x "$SETHKIT" ]; then
  echo "landscape: $SETHKIT is not an executable sethkit; build it or set SETHKIT" >&2
  exit 1
fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "landscape: /usr/bin/python3 has no numpy (apt-get install python3-numpy)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  echo "landscape: matplotlib missing (apt-get install python3-matplotlib); no PNG" >&2
fi

mode=()
if [ -n "${TINY:-}" ] && [ "${TINY}" != 0 ]; then mode=(--tiny); fi
if [ -n "${FULL:-}" ] && [ "${FULL}" != 0 ]; then mode=(--full); fi
/usr/bin/python3 bench/landscape.py --sethkit "$SETHKIT" --out "$out" "${mode[@]}" \
  --exact-max-s "${EXACT_MAX_S:-4}" --timeout "${RUN_TIMEOUT:-10}"
