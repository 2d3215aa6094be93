#!/usr/bin/env bash
# SATLIB uf20-91 through the whole chain, decided by the certified float32
# backend (issue 18 part 1): `sethkit solve FILE --via attention --k K
# --precision float` must give CaDiCaL's answer (`solve --via cadical`) on
# every file, k = 2 and 3; a refusal (straddling row) counts as a failure.
# With PRECISIONS="float double" each file also runs in double, and CSV gets
# one row per run (file, k, precision, answer, cadical, agree, solve seconds
# from --json, user+system CPU seconds of the process) for the timing note.
# Exit 77 (skipped) when the folder or cadical is absent.
# Usage: satlib_float.sh SETHKIT DIR COUNT [CSV]    (COUNT 0: every file)
set -uo pipefail
sethkit=$1 dir=$2 count=$3 csv=${4:-/dev/null}
[ -d "$dir" ] || { echo "skipped: $dir not found (set SETHKIT_SATLIB_DIR)"; exit 77; }
command -v cadical >/dev/null || { echo "skipped: cadical not on PATH"; exit 77; }
shopt -s nullglob
files=("$dir"/*.cnf)
[ "$count" -gt 0 ] && files=("${files[@]:0:$count}")
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 SETHKIT_PRECISIONS=${PRECISIONS:-float}
[ -s "$csv" ] || echo "file,k,precision,answer,cadical,agree,solve_seconds,cpu_seconds" >"$csv"
report=$(printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "${PARALLEL:-2}" bash -c '
  f=$1 sethkit=$0
  truth=$("$sethkit" solve "$f" --via cadical --json | sed -n "s/.*\"answer\": *\"\([A-Z]*\)\".*/\1/p")
  for k in 2 3; do
    for p in $SETHKIT_PRECISIONS; do
      tmp=$(mktemp)
      /usr/bin/time -f "%U %S" -o "$tmp.time" "$sethkit" solve "$f" --via attention --k $k --precision $p --json >"$tmp" 2>"$tmp.err"
      answer=$(sed -n "s/.*\"answer\": *\"\([A-Z]*\)\".*/\1/p" "$tmp")
      solve=$(sed -n "s/.*\"solve\": *\([0-9.e+-]*\).*/\1/p" "$tmp" | head -1)
      cpu=$(tail -n 1 "$tmp.time" | awk "{print \$1 + \$2}" 2>/dev/null)
      agree=no; [ -n "$answer" ] && [ "$answer" = "$truth" ] && agree=yes
      echo "$(basename "$f"),$k,$p,${answer:-refused},$truth,$agree,${solve:-},${cpu:-}" >>"'"$csv"'"
      [ "$agree" = yes ] || echo "FAIL: $f k = $k $p: ${answer:-$(head -c 300 "$tmp.err")} (cadical: $truth)"
      rm -f "$tmp" "$tmp.err" "$tmp.time"
    done
  done' "$sethkit")
failures=$(grep -c '^FAIL' <<<"$report")
[ -z "$report" ] || echo "$report"
echo "uf20-91: ${#files[@]} files, k = 2 and 3, precisions: ${PRECISIONS:-float}; $failures failures"
[ "$failures" -eq 0 ]
