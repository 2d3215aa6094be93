#!/usr/bin/env bash
# The kill test of issue 9: `sethkit reduce` is killed with SIGKILL while it
# writes a large output, and the target path must then hold nothing or a
# complete, readable file. Temporaries (".NAME.tmp.PID" beside the target,
# problems/atomic_file.cpp) may remain; a partial file at the target may not.
# Covered: a kOV text file, a MaxIP binary file and an attention directory,
# each killed at several points of the write; and a control run that
# finishes, so the complete output is known to pass the same checks.
# Usage: kill_reduce.sh SETHKIT SCRATCH_DIR
set -uo pipefail
sethkit=$1 scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Random 3-CNFs with 22 variables: with 6000 clauses `--to kov --k 2` writes
# 2 x 2^11 vectors of 6000 bits (about 25 MB of text); with 2000 clauses
# `--to maxip --binary` about 65 MB; the attention directory of the
# 300-clause one holds about 60 MB of .npy files.
random_cnf() {
  awk -v m="$2" 'BEGIN { srand(9); print "p cnf 22 " m;
    for (c = 0; c < m; ++c) { line = "";
      for (l = 0; l < 3; ++l) { v = 1 + int(rand() * 22); line = line (rand() < 0.5 ? -v : v) " " }
      print line "0" } }' >"$1"
}
random_cnf "$scratch/big.cnf" 6000
random_cnf "$scratch/mid.cnf" 2000
random_cnf "$scratch/medium.cnf" 300

# check_target KIND PATH: PATH is absent, or complete (sethkit check passes
# and, for files, it has the size of the finished control output).
check_target() {
  local kind=$1 path=$2 control=$3
  [ -e "$path" ] || return 0
  if ! "$sethkit" check "$path" --format "$kind" >/dev/null 2>"$scratch/check.err"; then
    fail "a partial $kind output exists at $path: $(cat "$scratch/check.err")"
  elif [ -f "$path" ] && ! cmp -s "$path" "$control"; then
    fail "$path differs from the complete output of the control run"
  fi
}

# kill_during CNF KIND EXT ARGS...: for several fractions of the write, start
# reduce, wait until the temporary has grown past that many bytes, SIGKILL it.
kill_during() {
  local cnf=$1 kind=$2 ext=$3; shift 3
  local control=$scratch/control.$ext
  local t0=$(date +%s%N)
  "$sethkit" reduce "$cnf" "$@" -o "$control" --quiet || { fail "control run of reduce $* failed"; return; }
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  "$sethkit" check "$control" --format "$kind" >/dev/null || fail "the control output of reduce $* does not check"
  local total=$(du -sb "$control" | cut -f1)
  echo "reduce $*: $total bytes in $ms ms (control run)"
  local caught=0
  for fraction in 0 10 40 70 95; do
    local target=$scratch/out-$fraction.$ext
    "$sethkit" reduce "$cnf" "$@" -o "$target" --quiet &
    local pid=$!
    local want=$(( total * fraction / 100 ))
    local grown=no
    for _ in $(seq 1 4000); do
      local temp
      temp=$(ls -d "$scratch"/.out-$fraction.$ext.tmp.* 2>/dev/null | head -1)
      # (the temporary may be renamed away between ls and du)
      local size=$( (du -sb "$temp" 2>/dev/null || echo 0) | cut -f1)
      if [ -n "$temp" ] && [ "${size:-0}" -ge "$want" ]; then grown=yes; break; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.005
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local rc=$?
    if [ "$grown" = yes ] && [ "$rc" -eq 137 ]; then caught=$((caught + 1)); fi
    check_target "$kind" "$target" "$control"
    rm -rf "$target" "$scratch"/.out-$fraction.$ext.tmp.*
  done
  rm -rf "$control"
  # At least one kill must land mid-write, or the test proves nothing.
  [ "$caught" -ge 1 ] || fail "reduce $*: no kill landed while the output was being written"
  echo "reduce $*: $caught of 5 kills landed mid-write; no partial output"
}

kill_during "$scratch/big.cnf" kov kov --to kov --k 2
kill_during "$scratch/mid.cnf" maxip maxip --to maxip --k 2 --binary
kill_during "$scratch/medium.cnf" attention att --to attention --k 2

echo "kill test: $failures failures"
[ "$failures" -eq 0 ]
