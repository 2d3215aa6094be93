#!/usr/bin/env bash
# Strong scaling of the MPI splits (issue 19, docs/mpi-scaling.md): the same
# problem on 1 rank x 1 thread, 2 ranks x 1 thread (mpirun) and 1 rank x 2
# threads (OpenMP), for
#   attention  exact k = 3 attention, n = N_ATT query and key rows, d = 16
#   kov        solve --via kov on an UNSAT random 3-SAT formula, k = 3, no
#              pruning (every party has 2^(KOV_VARS/3) vectors: 4096 at 36)
#   verify     verify examples/*.cnf --k 2,3 (files dealt to ranks)
# Prints one line per run: the wall time of the whole command (mpirun's start
# included), the time the command reports for its own work where it has one
# (attention --json seconds; solve --json times.solve), and the bytes every
# rank sent and received through distributed/ (SETHKIT_MPI_STATS=1).
#
#   bench/mpi_scaling.sh                         # the sizes of the issue (several minutes on 2 cores)
#   N_ATT=512 KOV_VARS=30 bench/mpi_scaling.sh   # quicker
#   BUILD_DIR=build OUT_DIR=/tmp/mpi bench/mpi_scaling.sh
#
# Needs build/sethkit built with SETHKIT_MPI, mpirun (openmpi-bin) and
# /usr/bin/python3 with numpy. Writes OUT_DIR/mpi_scaling.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=${OUT_DIR:-$build/mpi_scaling}
n_att=${N_ATT:-1024}
kov_vars=${KOV_VARS:-36}
sethkit=$build/sethkit
[ -x "$sethkit" ] || { echo "mpi_scaling: $sethkit is not built (cmake --build $build --target sethkit)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi_scaling: mpirun not found (scripts/install-deps installs openmpi-bin)" >&2; exit 1; }
mkdir -p "$out"
py=/usr/bin/python3

"$py" - "$out/att" "$n_att" <<'PY'
import sys, os, numpy as np
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(1)
for name in ["Q", "K1", "K2", "V1", "V2"]:
    np.save(f"{d}/{name}.npy", rng.standard_normal((n, 16)) * 0.5)
PY
"$sethkit" gen random-ksat --vars "$kov_vars" --ratio 6 --k 3 --seed 1 -o "$out/kov.cnf" >/dev/null
expected=$("$sethkit" solve "$out/kov.cnf" --via cadical --quiet | grep '^s ' || true)
echo "kov formula: $kov_vars variables, $expected (cadical)"

csv=$out/mpi_scaling.csv
echo "workload,ranks,threads,wall_s,work_s,max_sent_bytes,max_received_bytes" >"$csv"
printf '%-10s %5s %7s %9s %9s %14s %14s\n' workload ranks threads wall_s work_s sent_B/rank recv_B/rank

# run WORKLOAD RANKS THREADS FIELD CMD...: FIELD is the JSON path of the
# command's own time ("" for none).
run() {
  local name=$1 ranks=$2 threads=$3 field=$4; shift 4
  local start end
  start=$(date +%s.%N)
  if [ "$ranks" = 1 ]; then
    OMP_NUM_THREADS=$threads "$sethkit" "$@" >"$out/stdout" 2>"$out/stderr" || true
  else
    OMP_NUM_THREADS=$threads SETHKIT_MPI_STATS=1 mpirun --allow-run-as-root --oversubscribe -q -np "$ranks" \
      "$sethkit" "$@" >"$out/stdout" 2>"$out/stderr" || true
  fi
  end=$(date +%s.%N)
  local wall work sent recv
  wall=$("$py" -c "print(f'{$end - $start:.3f}')")
  work=$("$py" - "$out/stdout" "$field" <<'PY'
import json, sys
path, field = sys.argv[1], sys.argv[2]
try:
    x = json.load(open(path))
    for key in field.split("."):
        x = x[key]
    print(f"{float(x):.3f}")
except Exception:
    print("")
PY
)
  sent=$(grep -o 'sent [0-9]* B' "$out/stderr" | awk '{print $2}' | sort -n | tail -1 || true)
  recv=$(grep -o 'received [0-9]* B' "$out/stderr" | awk '{print $2}' | sort -n | tail -1 || true)
  sent=${sent:-0} recv=${recv:-0}
  echo "$name,$ranks,$threads,$wall,$work,$sent,$recv" >>"$csv"
  printf '%-10s %5s %7s %9s %9s %14s %14s\n' "$name" "$ranks" "$threads" "$wall" "${work:--}" "$sent" "$recv"
}

for config in "1 1" "2 1" "1 2"; do
  set -- $config
  run attention "$1" "$2" seconds attention "$out/att" -o "$out/o.npy" --json
done
for config in "1 1" "2 1" "1 2"; do
  set -- $config
  run kov "$1" "$2" times.solve solve "$out/kov.cnf" --via kov --k 3 --no-prune --kov-algorithm packed --json
done
for config in "1 1" "2 1" "1 2"; do
  set -- $config
  run verify "$1" "$2" summary.seconds verify examples/*.cnf --k 2,3 --json --quiet
done
echo "wrote $csv"
