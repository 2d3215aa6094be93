#!/usr/bin/env bash
# Runs the CLI on every line of tests/data/bad/expectations.txt (the bad-input
# corpus, issue 9) and checks, for each run:
#   - the exit code is the one in the table, and no run ends by a signal
#     (exit >= 128) or passes the time bound (BAD_INPUT_TIMEOUT s, default 30);
#   - stdout+stderr match the table's regular expression, name the file, and
#     for the text formats (.cnf, .kov, .maxip unless binary or empty) give
#     "NAME:LINE:" (a usage error, exit 2, names the option instead);
#   - no sanitizer report, no "internal error" (an unexpected exception type);
#   - the scratch directory given as {out} is still empty afterwards: no
#     output, no temporary left behind.
# It also checks the table covers every file in tests/data/bad and has at
# least 40 entries.
# Usage: run_bad_inputs.sh SETHKIT REPO_ROOT SCRATCH_DIR
set -uo pipefail
set -f  # ARGS are split on blanks, never globbed
export LC_ALL=C
sethkit=$1 root=$2 scratch=$3
bad=$root/tests/data/bad
table=$bad/expectations.txt
timeout_s=${BAD_INPUT_TIMEOUT:-30}
cd "$root" || exit 1

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

failures=0 runs=0
declare -A listed
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

while IFS= read -r line || [ -n "$line" ]; do
  case $line in '#'* | '') continue ;; esac
  file=$(trim "${line%%|*}"); rest=${line#*|}
  args=$(trim "${rest%%|*}"); rest=${rest#*|}
  expect_rc=$(trim "${rest%%|*}"); regex=$(trim "${rest#*|}")
  listed[$file]=1
  path=$(realpath -m --relative-to="$root" "$bad/$file")
  [ -e "$path" ] || { fail "$file: listed in expectations.txt but missing"; continue; }
  out=$scratch/run-$runs
  rm -rf "$out" && mkdir -p "$out"
  argv=()
  for a in $args; do
    a=${a//\{out\}/$out}
    argv+=("${a//\{\}/$path}")
  done
  runs=$((runs + 1))
  start=$(date +%s%N)
  output=$(timeout -k 5 "$timeout_s" "$sethkit" "${argv[@]}" 2>&1)
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  what="sethkit ${argv[*]}"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "$what: no answer within ${timeout_s}s"; continue
  fi
  if [ "$rc" -ge 128 ]; then
    fail "$what: killed by signal $((rc - 128))"$'\n'"$output"; continue
  fi
  [ "$rc" = "$expect_rc" ] || fail "$what: exit $rc, expected $expect_rc"$'\n'"$output"
  grep -Eq -- "$regex" <<<"$output" || fail "$what: output does not match /$regex/"$'\n'"$output"
  name=$(basename "$path")
  # A usage error (exit 2: an option value) names the option, not the file.
  [ "$expect_rc" = 2 ] || grep -Fq -- "$name" <<<"$output" || fail "$what: the message does not name $name"$'\n'"$output"
  [ "$expect_rc" = 2 ] || case $name in
    *.cnf | *.kov | *.maxip)
      if [ -s "$path" ] && ! head -c 8 "$path" | grep -Eq '^SETH(KOV|MIP)1' &&
         ! grep -Fq 'empty file' <<<"$output"; then
        grep -Fq -- "$name:" <<<"$output" && grep -Eq -- "$name:[0-9]+: " <<<"$output" ||
          fail "$what: a text format, but the message gives no line"$'\n'"$output"
      fi ;;
  esac
  if grep -Eq 'Sanitizer|runtime error:|internal error' <<<"$output"; then
    fail "$what: sanitizer report or internal error"$'\n'"$output"
  fi
  left=$(ls -A "$out")
  [ -z "$left" ] || fail "$what: left files behind in the output directory: $left"
  rm -rf "$out"
  [ "$ms" -lt $((timeout_s * 1000)) ] || fail "$what: took ${ms} ms"
done <"$table"

set +f
for f in "$bad"/*; do
  name=$(basename "$f")
  case $name in expectations.txt | make_corpus.py) continue ;; esac
  [ -n "${listed[$name]:-}" ] || fail "tests/data/bad/$name has no line in expectations.txt"
done
[ "$runs" -ge 40 ] || fail "only $runs bad inputs in the table; the corpus must hold at least 40"

echo "bad-input corpus: $runs runs, $failures failures"
[ "$failures" -eq 0 ]
