#!/usr/bin/env bash
# Every file of SATLIB's uf20-91 (1000 satisfiable 3-CNFs: the "uf" family
# is satisfiable by construction) is decided SATISFIABLE by `sethkit solve
# --via attention` (the whole chain: split and list, the direct MaxIP,
# Lemma B.1, the exact attention backend), and the model it prints satisfies
# the file's clauses, checked here by awk, independently of sethkit (issue
# 14, part 4). Exit 77 (skipped) when the benchmark folder is absent.
# Usage: satlib_solve.sh SETHKIT DIR [JOBS]
set -uo pipefail
sethkit=$1 dir=$2 jobs=${3:-2}
[ -d "$dir" ] || { echo "skipped: $dir not found (set SETHKIT_SATLIB_DIR)"; exit 77; }
shopt -s nullglob
files=("$dir"/*.cnf)
total=${#files[@]}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# One process a file: its exit code (10), then its v lines against the
# clauses (every clause needs a true literal; every variable gets a value).
checker=$(dirname "$0")/check_model.awk
report=$(printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$jobs" bash -c '
  f=$2  # $0: sethkit, $1: the model checker, $2: the file (from xargs)
  out=$("$0" solve "$f" --via attention --quiet 2>&1); rc=$?
  if [ $rc -ne 10 ]; then echo "FAIL: $f: exit $rc, expected 10 (SATISFIABLE): ${out:0:300}"; exit 0; fi
  why=$(awk -v model="$(grep "^v " <<<"$out")" -f "$1" "$f")
  [ -z "$why" ] || echo "FAIL: $f: the model does not satisfy the formula: $why"' "$sethkit" "$checker")
failures=$(grep -c '^FAIL' <<<"$report")
[ -z "$report" ] || echo "$report" | head -50
echo "uf20-91 solve --via attention: $total files, $failures failures"
[ "$total" -eq 1000 ] || { echo "FAIL: expected 1000 files in $dir"; exit 1; }
[ "$failures" -eq 0 ]
