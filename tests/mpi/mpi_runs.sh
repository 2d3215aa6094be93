#!/usr/bin/env bash
# The sethkit binary under mpirun against the same binary alone (issue 19):
#   mpi_runs.sh compare SETHKIT MPIRUN NP WORKDIR   outputs byte for byte
#   mpi_runs.sh fail    SETHKIT MPIRUN NP WORKDIR   a failure on one rank
# compare: solve answers and witnesses (exit codes, --json without times:
# the assignment, level_witness, gap) on CNFs and on kOV/MaxIP instance files,
# attention O and log D (.npy; --window included), grad's dQ, dK, dV and loss,
# verify's rows, sweep's rows (CSV and JSON, without the timing columns;
# resumed; generated). fail also: a bad CNF read by the last rank of a sweep. fail: an error raised on the last rank only (a score overflow in its
# query rows) and a refusal on every rank: exit 1, exactly one message on
# stderr, no output written, within a timeout (no hang).
# OMP_NUM_THREADS=1 on both sides: the single-process solvers report the
# first witness any thread finds, so witnesses are compared at one thread
# (solvers/rank_split.hpp). Exit 77 (skipped) without mpirun.
set -u
mode=$1 sethkit=$2 mpirun=$3 np=$4 work=$5
if [ -z "$mpirun" ] || ! [ -x "$mpirun" ]; then
  echo "skipped: mpirun not found (scripts/install-deps installs openmpi-bin)"
  exit 77
fi
export OMP_NUM_THREADS=1
py=/usr/bin/python3
run_mpi() { timeout 300 "$mpirun" --allow-run-as-root --oversubscribe -q -np "$np" "$sethkit" "$@"; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$(dirname "$0")/../.." || exit 1   # the repository root: examples/

# Random attention instance (k = 3, 37 query rows: uneven splits) and target.
"$py" - "$work" <<'PY' || exit 1
import sys, os, numpy as np
w = sys.argv[1]
rng = np.random.default_rng(19)
for name, shape in [("Q", (37, 8)), ("K1", (11, 8)), ("K2", (13, 8)), ("V1", (11, 5)), ("V2", (13, 5))]:
    os.makedirs(f"{w}/att", exist_ok=True); os.makedirs(f"{w}/ovf", exist_ok=True)
    a = rng.standard_normal(shape)
    np.save(f"{w}/att/{name}.npy", a)
    if name == "Q":
        a = a.copy(); a[-1, :] = 1.7e308   # the last row's scores overflow: only the last rank fails
    np.save(f"{w}/ovf/{name}.npy", a)
for name, shape in [("Q", (9, 4)), ("K1", (6, 4)), ("V1", (6, 3))]:   # k = 2
    os.makedirs(f"{w}/att2", exist_ok=True)
    np.save(f"{w}/att2/{name}.npy", rng.standard_normal(shape))
np.save(f"{w}/E.npy", rng.standard_normal((37, 5)))
np.save(f"{w}/E2.npy", rng.standard_normal((9, 3)))
# Long key sides (over 128 rows) with 40 and 20 query rows: a rank's rows are
# fewer than 16, where the exact kernel splits a row's keys into work items
# (planned for the whole side, QuerySlice); attw2 (k = 2) splits side b.
for d, shapes in [("attw", [("Q", (40, 8)), ("K1", (200, 8)), ("K2", (24, 8)), ("V1", (200, 5)), ("V2", (24, 5))]),
                  ("attw2", [("Q", (20, 4)), ("K1", (300, 4)), ("V1", (300, 3))])]:
    os.makedirs(f"{w}/{d}", exist_ok=True)
    for name, shape in shapes:
        np.save(f"{w}/{d}/{name}.npy", rng.standard_normal(shape))
np.save(f"{w}/Ew.npy", rng.standard_normal((40, 5)))
np.save(f"{w}/Ew2.npy", rng.standard_normal((20, 3)))
PY

# The same JSON documents (one, or one a line) up to wall times.
json_same() {  # FILE1 FILE2: the same JSON documents (one or one per line) up to times
  "$py" - "$1" "$2" <<'PY'
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if "seconds" not in k and k != "times"}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
def docs(path):
    text = open(path).read()
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace(): i += 1
        if i >= len(text): return out
        d, i = dec.raw_decode(text, i); out.append(strip(d))
a, b = docs(sys.argv[1]), docs(sys.argv[2])
sys.exit(0 if a == b and a else 1)
PY
}

if [ "$mode" = compare ]; then
  for f in examples/tiny-sat.cnf examples/uf20-01.cnf examples/uf20-02.cnf examples/pigeonhole-3-2.cnf \
           examples/random3-14-sat.cnf examples/random3-14-unsat.cnf; do
    for via in "kov --k 2" "kov --k 3" "kov --k 4 --kov-algorithm packed" "maxip --k 2" "maxip --k 3" "gap-maxip --k 2"; do
      # shellcheck disable=SC2086
      "$sethkit" solve "$f" --via $via --json >"$work/j1" 2>/dev/null; r1=$?
      # shellcheck disable=SC2086
      run_mpi solve "$f" --via $via --json >"$work/jn" 2>/dev/null; rn=$?
      [ "$r1" = "$rn" ] || fail "solve $f --via $via: exit $r1 vs $rn"
      json_same "$work/j1" "$work/jn" || fail "solve $f --via $via --json (answer, assignment, level_witness, gap) differs"
    done
  done
  for args in "att" "att --precision float" "att --backend reference" "att --window 3,4" "att2" "att --backend poly --eps 0.5" \
              "att --backend reference --window 3,4" "attw" "attw2" "attw --window 30,9" "attw --window 5,3" \
              "attw --window 200,24" "attw --window 0,4" "attw --threads 2 --window 17,40" "att --window 40,2"; do
    set -- $args
    dir=$1; shift
    rm -f "$work"/o1.npy "$work"/on.npy "$work"/l1.npy "$work"/ln.npy
    "$sethkit" attention "$work/$dir" "$@" -o "$work/o1.npy" --logd "$work/l1.npy" >/dev/null 2>"$work/e1"; r1=$?
    run_mpi attention "$work/$dir" "$@" -o "$work/on.npy" --logd "$work/ln.npy" >/dev/null 2>"$work/en"; rn=$?
    [ "$r1" = "$rn" ] || fail "attention $args: exit $r1 vs $rn ($(head -1 "$work/en"))"
    if [ "$r1" = 0 ]; then
      cmp -s "$work/o1.npy" "$work/on.npy" || fail "attention $args: O differs"
      cmp -s "$work/l1.npy" "$work/ln.npy" || fail "attention $args: log D differs"
    fi
  done
  for t in 1 2; do
    for dir in att att2 attw attw2; do
      case $dir in att) target=$work/E.npy ;; att2) target=$work/E2.npy ;; attw) target=$work/Ew.npy ;; attw2) target=$work/Ew2.npy ;; esac
      rm -rf "$work/g1" "$work/gn"
      OMP_NUM_THREADS=$t "$sethkit" grad "$work/$dir" --target "$target" -o "$work/g1" >/dev/null || fail "grad $dir alone"
      OMP_NUM_THREADS=$t run_mpi grad "$work/$dir" --target "$target" -o "$work/gn" >/dev/null || fail "grad $dir under mpirun"
      for g in "$work"/g1/d*.npy; do
        cmp -s "$g" "$work/gn/$(basename "$g")" || fail "grad $dir ($t threads a rank): $(basename "$g") differs"
      done
      json_same "$work/g1/loss.json" "$work/gn/loss.json" || fail "grad $dir: loss.json differs"
    done
  done
  files="examples/tiny-sat.cnf examples/pigeonhole-3-2.cnf examples/random3-14-sat.cnf examples/random3-14-unsat.cnf tests/data/bad/empty.cnf"
  # shellcheck disable=SC2086
  "$sethkit" verify $files --k 2,3 --levels sat,kov,maxip --jsonl --quiet >"$work/v1" 2>/dev/null; r1=$?
  # shellcheck disable=SC2086
  run_mpi verify $files --k 2,3 --levels sat,kov,maxip --jsonl --quiet >"$work/vn" 2>/dev/null; rn=$?
  [ "$r1" = "$rn" ] || fail "verify: exit $r1 vs $rn"
  json_same "$work/v1" "$work/vn" || fail "verify rows differ: $(diff "$work/v1" "$work/vn" | head -4)"

  # solve FILE on kOV and MaxIP instance files (text and binary): the answer,
  # the witness, the gap and the assignment mapped back through the provenance.
  mkdir -p "$work/inst"
  for f in examples/tiny-sat.cnf examples/uf20-01.cnf examples/random3-14-unsat.cnf; do
    b=$(basename "$f" .cnf)
    for to in "kov --k 2" "kov --k 3" "maxip --k 2" "maxip --k 3"; do
      set -- $to
      for form in text binary; do
        x="$work/inst/$b-$1-$3-$form"
        flag=""; [ "$form" = binary ] && flag=--binary
        # shellcheck disable=SC2086
        "$sethkit" reduce "$f" --to $to $flag -o "$x" --quiet || { fail "reduce $f --to $to $flag"; continue; }
        for extra in "" "--kov-algorithm packed"; do
          [ -n "$extra" ] && [ "$1" != kov ] && continue
          # shellcheck disable=SC2086
          "$sethkit" solve "$x" --json $extra >"$work/j1" 2>/dev/null; r1=$?
          # shellcheck disable=SC2086
          run_mpi solve "$x" --json $extra >"$work/jn" 2>/dev/null; rn=$?
          [ "$r1" = "$rn" ] || fail "solve $x $extra: exit $r1 vs $rn"
          case $r1 in 10|20) ;; *) fail "solve $x $extra: exit $r1 (expected 10 or 20)" ;; esac
          json_same "$work/j1" "$work/jn" || fail "solve $x $extra --json (answer, witness, gap, assignment) differs"
        done
      done
    done
  done
  "$sethkit" solve "$work/inst/uf20-01-maxip-3-text" --threshold 5 --json >"$work/j1" 2>/dev/null; r1=$?
  run_mpi solve "$work/inst/uf20-01-maxip-3-text" --threshold 5 --json >"$work/jn" 2>/dev/null; rn=$?
  [ "$r1" = "$rn" ] || fail "solve maxip --threshold 5: exit $r1 vs $rn"
  json_same "$work/j1" "$work/jn" || fail "solve maxip --threshold 5 --json differs"

  # sweep: the runs dealt to the ranks; the same CSV rows (timing columns
  # reduce_seconds and solve_seconds left out) and JSON rows as alone, in
  # order; a resumed sweep likewise; generated families (files compared by
  # name: each sweep writes its own --workdir).
  csv_same() {  # CSV1 CSV2 [basename]: the same rows, in order, up to the timing columns
    "$py" - "$@" <<'PY'
import csv, os, sys
def rows(path):
    with open(path, newline="") as f:
        r = list(csv.DictReader(f))
    for row in r:
        for c in ("reduce_seconds", "solve_seconds"):
            row.pop(c)
        if len(sys.argv) > 3:
            row["file"] = os.path.basename(row["file"])
    return r
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b or not a:
    for x, y in zip(a, b):
        if x != y: print({k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)}); break
    print(f"{len(a)} vs {len(b)} rows")
    sys.exit(1)
PY
  }
  mkdir -p "$work/swd"
  cp examples/tiny-sat.cnf examples/pigeonhole-3-2.cnf examples/random3-14-sat.cnf examples/random3-14-unsat.cnf \
     examples/uf20-01.cnf "$work/swd/"
  sw="--dir $work/swd --routes sat,kov,cadical,maxip --k 2 --timeout 120"
  rm -f "$work"/s1.* "$work"/sn.*
  # shellcheck disable=SC2086
  "$sethkit" sweep $sw --quiet --csv "$work/s1.csv" --json "$work/s1.json"; r1=$?
  # shellcheck disable=SC2086
  run_mpi sweep $sw --quiet --csv "$work/sn.csv" --json "$work/sn.json"; rn=$?
  [ "$r1" = 0 ] && [ "$rn" = 0 ] || fail "sweep --dir: exit $r1 alone, $rn under mpirun"
  csv_same "$work/s1.csv" "$work/sn.csv" || fail "sweep --dir: CSV rows differ"
  json_same "$work/s1.json" "$work/sn.json" || fail "sweep --dir: JSON rows differ"
  # Resume: the header and 6 rows of the finished CSV, the rest run again.
  head -7 "$work/s1.csv" >"$work/sr1.csv"; cp "$work/sr1.csv" "$work/srn.csv"
  # shellcheck disable=SC2086
  "$sethkit" sweep $sw --csv "$work/sr1.csv" --progress 2>"$work/sr1.err" >/dev/null; r1=$?
  # shellcheck disable=SC2086
  run_mpi sweep $sw --csv "$work/srn.csv" --progress 2>"$work/srn.err" >/dev/null; rn=$?
  [ "$r1" = 0 ] && [ "$rn" = 0 ] || fail "sweep resumed: exit $r1 alone, $rn under mpirun"
  csv_same "$work/s1.csv" "$work/srn.csv" || fail "sweep resumed under mpirun: CSV rows differ from the whole run"
  csv_same "$work/sr1.csv" "$work/srn.csv" || fail "sweep resumed: CSV rows differ"
  s1=$(grep -o 'sweep: [0-9]* runs, [0-9]* resumed' "$work/sr1.err"); sn=$(grep -o 'sweep: [0-9]* runs, [0-9]* resumed' "$work/srn.err")
  [ -n "$s1" ] && [ "$s1" = "$sn" ] || fail "sweep resumed: '$s1' alone, '$sn' under mpirun"
  sf="--family random-ksat --vars 5:9:2 --seeds 2 --ratio 4.26 --routes sat,kov,attention --timeout 120 --quiet"
  # shellcheck disable=SC2086
  "$sethkit" sweep $sf --csv "$work/f1.csv"; r1=$?
  # shellcheck disable=SC2086
  run_mpi sweep $sf --csv "$work/fn.csv"; rn=$?
  [ "$r1" = 0 ] && [ "$rn" = 0 ] || fail "sweep --family: exit $r1 alone, $rn under mpirun"
  csv_same "$work/f1.csv" "$work/fn.csv" basename || fail "sweep --family: CSV rows differ"
  for g in "$work"/f1.csv.cnf/*.cnf; do
    cmp -s "$g" "$work/fn.csv.cnf/$(basename "$g")" || fail "sweep --family: $(basename "$g") differs"
  done
elif [ "$mode" = fail ]; then
  # One message, exit 1, nothing written; each case within timeout's limit.
  check_one_failure() {  # NAME EXPECT_RE OUTPUT CMD...
    local name=$1 re=$2 out=$3; shift 3
    rm -rf "$out"
    timeout 120 "$mpirun" --allow-run-as-root --oversubscribe -q -np "$np" "$sethkit" "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    [ "$rc" = 1 ] || fail "$name: exit $rc, expected 1 ($( [ "$rc" = 124 ] && echo 'hung: killed by timeout'))"
    [ "$(grep -c . "$work/err")" = 1 ] || fail "$name: expected one line on stderr, got: $(cat "$work/err")"
    grep -Eq "$re" "$work/err" || fail "$name: stderr does not match '$re': $(cat "$work/err")"
    [ ! -e "$out" ] || fail "$name: $out was written"
  }
  check_one_failure "attention, last rank overflows" "^sethkit attention: error: score overflow" "$work/x.npy" \
    attention "$work/ovf" -o "$work/x.npy"
  check_one_failure "grad, last rank overflows" "^sethkit grad: error: score overflow" "$work/gx" \
    grad "$work/ovf" --target "$work/E.npy" -o "$work/gx"
  check_one_failure "solve, refused on every rank" "^sethkit solve: refused: the Gap-MaxIP instance" "$work/none" \
    solve examples/uf20-01.cnf --via gap-maxip
  check_one_failure "attention, bad input" "^sethkit attention: error: .*bad-nan/Q.npy: entry .* is NaN" "$work/x.npy" \
    attention tests/data/attention/bad-nan -o "$work/x.npy"
  # sweep: the last CNF of the folder is bad; the CNFs are read in contiguous
  # parts, so only the last rank reads it. Nothing is run or written.
  mkdir -p "$work/swbad"
  cp examples/tiny-sat.cnf "$work/swbad/a.cnf"; cp examples/pigeonhole-3-2.cnf "$work/swbad/b.cnf"
  cp examples/random3-14-sat.cnf "$work/swbad/c.cnf"; printf 'p cnf 2 1\n1 x 0\n' >"$work/swbad/zz.cnf"
  check_one_failure "sweep, a bad CNF on the last rank" "^sethkit sweep: error: .*zz\.cnf" "$work/sw.csv" \
    sweep --dir "$work/swbad" --routes sat --csv "$work/sw.csv" --quiet
  "$sethkit" sweep --dir "$work/swbad" --routes sat --csv "$work/sw1.csv" --quiet 2>"$work/err1"
  [ "$(cat "$work/err1")" = "$(cat "$work/err")" ] || fail "sweep, bad CNF: '$(cat "$work/err")' under mpirun, '$(cat "$work/err1")' alone"
  # The instance file of solve, bad on every rank alike.
  printf 'p kov 2 3 1 1\n101\n1x1\n' >"$work/bad.kov"
  check_one_failure "solve, a bad kOV file" "^sethkit solve: error: .*bad\.kov" "$work/none" solve "$work/bad.kov"
else
  echo "usage: mpi_runs.sh compare|fail SETHKIT MPIRUN NP WORKDIR" >&2
  exit 2
fi
if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed under mpirun -np $np"
  exit 1
fi
echo "ok: every check under mpirun -np $np matches the single-process run"
