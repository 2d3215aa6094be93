#!/bin/sh
# verify streams: kill it mid-run and the rows of the files it finished are
# on stdout already. Usage: verify_stream.sh SETHKIT WORKDIR OUTFILE
set -u
sethkit=$1; cd "$2"; out=$3
rm -f "$out"
# The first file is quick; the rest keep verify busy far longer than the wait.
set -- examples/tiny-sat.cnf
i=0; while [ $i -lt 200 ]; do set -- "$@" examples/uf20-01.cnf; i=$((i+1)); done
"$sethkit" verify "$@" --k 2,3 --quiet > "$out" 2>/dev/null &
pid=$!
n=0
while ! grep -q '^examples/uf20-01.cnf' "$out" 2>/dev/null; do
  n=$((n+1)); if [ $n -gt 1200 ]; then echo "no row after 120 s"; kill -9 $pid; exit 1; fi
  sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null
grep -q '^file ' "$out" || { echo "no header"; cat "$out"; exit 1; }
grep -q '^examples/tiny-sat.cnf .* yes$' "$out" || { echo "no finished row for tiny-sat.cnf"; cat "$out"; exit 1; }
if grep -q '^summary:' "$out"; then echo "verify finished before it was killed: not a streaming test"; exit 1; fi
echo "rows streamed before the kill:"; cat "$out"
