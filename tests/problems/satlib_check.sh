#!/usr/bin/env bash
# Every file of SATLIB's uf20-91 (shared/benchmarks/satlib/uf20-91, 1000
# files; one has seven blank lines before its header) passes `sethkit check`
# (issue 14, part 4). Exit 77 (skipped) when the benchmark folder is absent.
# Usage: satlib_check.sh SETHKIT DIR
set -uo pipefail
sethkit=$1 dir=$2
[ -d "$dir" ] || { echo "skipped: $dir not found (set SETHKIT_SATLIB_DIR)"; exit 77; }
shopt -s nullglob
files=("$dir"/*.cnf)
total=${#files[@]}
# Four at a time: a run is mostly process start-up, not CPU.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
report=$(printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P 4 bash -c '
  out=$("$0" check --format cnf "$1" 2>&1) && [[ $out == *": cnf, 20 variables, 91 clauses"* ]] ||
    echo "FAIL: $1: $out"' "$sethkit")
failures=$(grep -c '^FAIL' <<<"$report")
[ -z "$report" ] || echo "$report"
echo "uf20-91: $total files, $failures failures"
[ "$total" -eq 1000 ] || { echo "FAIL: expected 1000 files in $dir"; exit 1; }
[ "$failures" -eq 0 ]
