#!/usr/bin/env bash
# Issue 14 through the CLI: a FIFO (with no writer, so a reader that opened
# it would block; `timeout` turns a block into a failure), a symlink to it,
# /dev/null and a socket are refused with exit 1 naming the file, by every
# subcommand that reads one; "-" reads standard input; gzip, bzip2 and xz
# CNFs are solved like the plain file.
# Usage: special_inputs_cli.sh SETHKIT REPO_ROOT SCRATCH_DIR
set -uo pipefail
sethkit=$1 root=$2 scratch=$3
cd "$root" || exit 1
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC REGEX ARG...: runs sethkit with standard input from /dev/null.
expect() {
  local rc=$1 regex=$2; shift 2
  local out got
  out=$(timeout -k 2 20 "$sethkit" "$@" </dev/null 2>&1); got=$?
  [ "$got" -ne 124 ] && [ "$got" -ne 137 ] || { fail "sethkit $*: blocked (no answer in 20 s)"; return; }
  [ "$got" = "$rc" ] || fail "sethkit $*: exit $got, expected $rc"$'\n'"$out"
  grep -Eq -- "$regex" <<<"$out" || fail "sethkit $*: output does not match /$regex/"$'\n'"$out"
}
# expect_stdin FILE RC REGEX ARG...: the same with standard input from FILE.
expect_stdin() {
  local file=$1 rc=$2 regex=$3; shift 3
  local out got
  out=$(timeout -k 2 20 "$sethkit" "$@" <"$file" 2>&1); got=$?
  [ "$got" = "$rc" ] || fail "sethkit $* < $file: exit $got, expected $rc"$'\n'"$out"
  grep -Eq -- "$regex" <<<"$out" || fail "sethkit $* < $file: output does not match /$regex/"$'\n'"$out"
}

fifo=$scratch/pipe.cnf
mkfifo "$fifo" || exit 1
ln -s "$fifo" "$scratch/link.cnf"
ln -s /dev/null "$scratch/null.kov"
sock=$scratch/sock.cnf
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock" ||
  fail "cannot create a socket"

fifo_re='is a FIFO \(named pipe\), not a regular file'
expect 1 "pipe\.cnf: $fifo_re" check --format cnf "$fifo"
expect 1 "pipe\.cnf: $fifo_re" solve "$fifo"
expect 1 "pipe\.cnf: $fifo_re" reduce "$fifo" --to kov -o "$scratch/never.kov"
expect 1 "pipe\.cnf: $fifo_re" verify "$fifo"
expect 1 "link\.cnf: $fifo_re" solve "$scratch/link.cnf"
expect 1 "pipe\.cnf: $fifo_re" check --format kov "$fifo"
expect 1 "pipe\.cnf: $fifo_re" check --format maxip "$fifo"
expect 1 "pipe\.cnf: $fifo_re" check --format npy "$fifo"
expect 1 "/dev/null: is a character device" solve /dev/null
expect 1 "null\.kov: is a character device" check "$scratch/null.kov"
expect 1 "sock\.cnf: is a socket" solve "$sock"
[ -e "$scratch/never.kov" ] && fail "reduce wrote an output for a FIFO input"

# An attention directory whose manifest or Q.npy is a FIFO.
att=$scratch/att
cp -r tests/data/attention/good "$att"
rm -f "$att/manifest.json"
mkfifo "$att/manifest.json"
expect 1 "att/manifest\.json: $fifo_re" attention "$att" -o "$scratch/o.npy"
expect 1 "att/manifest\.json: $fifo_re" check "$att"
rm "$att/manifest.json" "$att/Q.npy"
mkfifo "$att/Q.npy"
expect 1 "att/Q\.npy: $fifo_re" attention "$att" -o "$scratch/o.npy"
[ -e "$scratch/o.npy" ] && fail "attention wrote an output for a FIFO input"

# Standard input.
expect_stdin examples/uf20-01.cnf 10 "s SATISFIABLE" solve - --via sat
expect_stdin examples/uf20-01.cnf 0 "-: cnf, 20 variables, 91 clauses" check --format cnf -
expect_stdin tests/data/compressed/uf20-01.cnf.gz 10 "s SATISFIABLE" solve -
expect_stdin tests/data/bad/literal-minus-zero.cnf 1 "<stdin>:2: column 3: '-0' is not a literal" solve -
expect_stdin tests/fuzz/corpus/kov/good-k3.kov 0 "kov k = 3, d = 5, n = 2 1 2" check --format kov -
expect_stdin tests/fuzz/corpus/maxip/good.maxip 0 "-: maxip k = " check --format maxip -

# Compressed CNFs, detected by their magic bytes.
for ext in gz bz2 xz; do
  expect 10 "s SATISFIABLE" solve "tests/data/compressed/uf20-01.cnf.$ext" --via sat
  expect 0 "cnf, 20 variables, 91 clauses" check --format cnf "tests/data/compressed/uf20-01.cnf.$ext"
done

echo "special inputs: $failures failures"
[ "$failures" -eq 0 ]
