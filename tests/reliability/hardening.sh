#!/usr/bin/env bash
# Issue 14 parts 1, 3, 4 (empty formulas, unused variables) and 5 through the
# CLI: every check fails when its protection is removed.
#   hardening.sh SETHKIT REPO SCRATCH
set -u
S=$1; REPO=$2; T=$3
rm -rf "$T"; mkdir -p "$T"; cd "$REPO" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect RC REGEX CMD...: exit code and a regex over stdout+stderr
expect() {
  local want=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  [ "$rc" = "$want" ] || fail "$* -> exit $rc, expected $want: $out"
  [[ "$out" =~ $re ]] || fail "$* -> output does not match /$re/: $out"
}
TINY=examples/tiny-sat.cnf

# --- part 1: outputs -------------------------------------------------------
cp $TINY "$T/in.cnf"; before=$(md5sum < "$T/in.cnf")
expect 2 "same file as the input" "$S" reduce "$T/in.cnf" -o "$T/in.cnf"
ln -s in.cnf "$T/in-link.cnf"
expect 2 "same file as the input" "$S" reduce "$T/in.cnf" -o "$T/in-link.cnf"
[ "$(md5sum < "$T/in.cnf")" = "$before" ] || fail "the input CNF was changed"
cp -r tests/data/attention/good "$T/att"; qsum=$(md5sum < "$T/att/Q.npy")
expect 2 "same file as the input" "$S" attention "$T/att" -o "$T/att/Q.npy"
[ "$(md5sum < "$T/att/Q.npy")" = "$qsum" ] || fail "Q.npy inside the input directory was changed"
expect 2 "name the same file" "$S" attention "$T/att" -o "$T/o.npy" --logd "$T/o.npy"
[ -e "$T/o.npy" ] && fail "an output was written although two outputs named one file"
expect 0 "wrote /dev/null" "$S" reduce $TINY -o /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a device"
if [ -w /dev/full ]; then expect 1 "/dev/full: write failed" "$S" reduce $TINY -o /dev/full; fi
expect 0 "^c sethkit reduce" "$S" reduce $TINY -o -
# a symlink target: the link stays a link, its target is replaced
ln -s real.kov "$T/link.kov"
expect 0 "wrote" "$S" reduce $TINY -o "$T/link.kov"
[ -L "$T/link.kov" ] || fail "the symlink output was replaced by a file"
grep -q "^p kov" "$T/real.kov" 2>/dev/null || grep -q "kov" "$T/real.kov" || fail "the symlink's target was not written"
# a planted symlink at a temporary name is never followed
touch "$T/victim"
for n in 0 1 2 3; do ln -s victim "$T/.x.kov.tmp.$$.$n"; done
expect 0 "wrote" "$S" reduce $TINY -o "$T/x.kov"
[ -s "$T/victim" ] && fail "a planted symlink at a temporary name was followed"
# stale temporaries of a dead process are removed by the next write
( exit 0 ) & dead=$!; wait $dead
touch "$T/.y.kov.tmp.$dead.0"
expect 0 "wrote" "$S" reduce $TINY -o "$T/y.kov"
[ -e "$T/.y.kov.tmp.$dead.0" ] && [ "$dead" != "$$" ] && ! kill -0 "$dead" 2>/dev/null && fail "a stale temporary of dead pid $dead survived"
# outputs of one run appear together or not at all
mkdir "$T/logd-dir"
expect 1 "is a directory" "$S" attention tests/data/attention/good -o "$T/together.npy" --logd "$T/logd-dir"
[ -e "$T/together.npy" ] && fail "-o was left behind although --logd failed"
# write errors on standard output; a closed pipe ends quietly
if [ -w /dev/full ]; then
  out=$("$S" solve $TINY 2>&1 > /dev/full); rc=$?
  [ $rc = 1 ] || fail "solve > /dev/full exited $rc, expected 1"
  [[ "$out" =~ "cannot write standard output" ]] || fail "solve > /dev/full said: $out"
fi
err=$("$S" gen random-ksat --vars 2000 --clauses 8000 -o - 2>&1 >/dev/null | head -c 0; "$S" gen random-ksat --vars 2000 --clauses 8000 -o - 2>"$T/pipe.err" | head -1 >/dev/null)
[ -s "$T/pipe.err" ] && fail "a closed pipe printed: $(cat "$T/pipe.err")"
# a signal during the work removes the temporaries and exits 128+signal
"$S" gen php --pigeons 8 --holes 7 -o "$T/php87.cnf" >/dev/null
"$S" solve "$T/php87.cnf" --via maxip --k 4 --max-bytes 8G --quiet > /dev/null 2>&1 & pid=$!
sleep 0.5; kill -TERM $pid; wait $pid; rc=$?
[ $rc = 143 ] || fail "SIGTERM gave exit $rc, expected 143"
# a non-finite O is refused, never written
python3 - "$T" <<'PY' || fail "cannot write the overflow instance"
import json, os, struct, sys
d = os.path.join(sys.argv[1], "huge-v")
os.makedirs(d, exist_ok=True)
def npy(name, rows, cols, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%dd" % len(values), *values))
npy("Q.npy", 1, 1, [0.0]); npy("K1.npy", 2, 1, [0.0, 0.0]); npy("V1.npy", 2, 1, [1.7e308, 1.7e308])
PY
expect 1 "rescale V" "$S" attention "$T/huge-v" -o "$T/huge.npy"
[ -e "$T/huge.npy" ] && fail "a non-finite O was written"

# --- part 3: runs stop on time -------------------------------------------
expect 3 "s UNKNOWN.*timeout after 1 s" "$S" solve "$T/php87.cnf" --via maxip --k 4 --max-bytes 8G --timeout 1
expect 3 "timeout after 0.001 s" "$S" reduce "$T/php87.cnf" --to kov -o "$T/never.kov" --timeout 0.001
[ -e "$T/never.kov" ] && fail "reduce wrote its output after the timeout"
for sub in solve verify reduce attention grad protocol codes; do
  "$S" $sub --help | grep -q -- "--timeout" || fail "$sub has no --timeout"
done
expect 2 "--timeout" "$S" solve $TINY --timeout nan
# the time a request takes is estimated before the work
expect 1 "about .* field operations \(limit --max-work" "$S" codes --code hermitian --q 251 --a 3
# an external solver runs in its own process group: killed with it on
# timeout and on SIGTERM, its private directory removed, no orphan left
"$S" gen php --pigeons 11 --holes 10 -o "$T/php1110.cnf" >/dev/null
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" expect 3 "the run's --timeout 1 s was reached" "$S" verify "$T/php1110.cnf" --k 2 --timeout 1
sleep 0.2
pgrep -f "$T/tmp" >/dev/null && fail "an external solver survived the timeout"
[ -z "$(ls -A "$T/tmp")" ] || fail "the solver's private directory survived the timeout: $(ls -A "$T/tmp")"
TMPDIR="$T/tmp" "$S" verify "$T/php1110.cnf" --k 2 > /dev/null 2>&1 & pid=$!
sleep 1; kill -TERM $pid; wait $pid; rc=$?
[ $rc = 143 ] || fail "verify under SIGTERM exited $rc, expected 143"
sleep 0.2
pgrep -f "$T/tmp" >/dev/null && fail "an external solver survived SIGTERM"
[ -z "$(ls -A "$T/tmp")" ] || fail "the solver's private directory survived SIGTERM: $(ls -A "$T/tmp")"

# --- part 4: empty formulas, unused variables ------------------------------
printf 'p cnf 5 0\n' > "$T/empty5.cnf"; printf 'p cnf 0 0\n' > "$T/empty0.cnf"
for f in empty5 empty0; do
  for via in sat kov maxip gap-maxip attention; do
    expect 10 "s SATISFIABLE" "$S" solve "$T/$f.cnf" --via $via
  done
done
expect 0 "yes" "$S" verify "$T/empty5.cnf"
printf 'p cnf 6 2\n1 2 0\n-1 3 0\n' > "$T/unused.cnf"
expect 10 "3 variables occur in no clause.*s SATISFIABLE.*-4 -5 -6 0" "$S" solve "$T/unused.cnf" --via kov
expect 10 "s SATISFIABLE" "$S" solve "$T/unused.cnf" --via attention
expect 0 "n = 4 2" "$S" reduce "$T/unused.cnf" --to kov --k 2 -o "$T/unused.kov"
expect 0 "n = 8 8" "$S" reduce "$T/unused.cnf" --to kov --k 2 --keep-unused -o "$T/unused-kept.kov"

# --- part 5: option values -------------------------------------------------
expect 2 "--soundness: value 'nan' is not a finite.*1e-06" "$S" solve $TINY --via gap-maxip --soundness nan
expect 2 "--eps" "$S" attention tests/data/attention/small-bounded --backend poly --eps nan -o "$T/p.npy"
expect 2 "--eps" "$S" attention tests/data/attention/small-bounded --backend poly --eps 0 -o "$T/p.npy"
expect 2 "--scale" "$S" attention tests/data/attention/good --scale inf -o "$T/p.npy"
expect 2 "--q" "$S" codes --code rs --q 99999999999999999999999 --n 3 --dim 2
expect 2 "--max-bytes.*'inf'" "$S" reduce $TINY -o "$T/m.kov" --max-bytes inf
expect 2 "--max-bytes.*'0x10'" "$S" reduce $TINY -o "$T/m.kov" --max-bytes 0x10
expect 2 "--eps applies only to an approximate backend" "$S" attention tests/data/attention/good --eps 0.1 -o "$T/p.npy"
expect 2 "--m cannot be given with a FILE" "$S" protocol $TINY --m 4
expect 2 "--code applies only to the protocol route" "$S" solve $TINY --via maxip --code hermitian
expect 2 "unknown subcommand 'frobnicate'; the subcommands are: solve, reduce, verify" "$S" frobnicate

if [ $fails -gt 0 ]; then echo "$fails hardening checks failed"; exit 1; fi
echo "all hardening checks passed"
