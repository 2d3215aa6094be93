#!/usr/bin/env bash
# Paper 002 Theorem 1: the time of `sethkit grad --paper DIR --backend poly`
# (dX by the polynomial method, attention/poly_gradient.hpp) against n, next
# to the exact one's (`--backend exact`, O(n^3 d)), and their log-log slopes
# (Theorem 1 says n^{1+o(1)} for small entries; the exact gradient is cubic).
#
#   bench/paper_grad_slope.sh                      # n = 256..4096, d = 4 and 8
#   NS="256 512 1024" DS=4 bench/paper_grad_slope.sh
#   EXACT_MAX_N=2048 ENTRY=0.3 EPS=1e-8 SETHKIT=build/sethkit bench/paper_grad_slope.sh
#
# Instances: A1..A5, X1..X3, Y1, Y2 uniform in [-ENTRY, ENTRY] (default
# 1/sqrt(d): Q = A1 X1 has entries below d ENTRY^2 = 1, the scores stay
# below 1, "small entries"), E uniform in [-1, 1], all sides n, seeded by
# (n, d). EPS (default 1e-10) is poly's target; small, so that the certified
# dX bound is far below |dX| (it grows with n: it sums over the rows).
# Exact runs up to EXACT_MAX_N (default 1024; its time grows as n^3). The
# times are the compute times of loss.json (times.compute: Q = A1 X1 and the
# rest, forward and backward), one run each; the slope is the least-squares
# fit of log time on log n. Prints the table and the slopes; times only, no
# assertion (tests never assert on time).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
if [ -z "${SETHKIT:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" --target sethkit --parallel "${JOBS:-2}" >/dev/null
  SETHKIT=$build/sethkit
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SETHKIT=$SETHKIT WORK=$work NS=${NS:-256 512 1024 2048 4096} DS=${DS:-4 8} EXACT_MAX_N=${EXACT_MAX_N:-1024} \
ENTRY=${ENTRY:-} EPS=${EPS:-1e-10} /usr/bin/python3 - <<'EOF'
import json, math, os, subprocess, sys
import numpy as np

sethkit, work = os.environ["SETHKIT"], os.environ["WORK"]
ns = [int(x) for x in os.environ["NS"].split()]
ds = [int(x) for x in os.environ["DS"].split()]
exact_max, eps = int(os.environ["EXACT_MAX_N"]), os.environ["EPS"]


def instance(n, d):
    entry = float(os.environ["ENTRY"]) if os.environ["ENTRY"] else 1 / math.sqrt(d)
    path = os.path.join(work, "paper-%d-%d" % (n, d))
    rng = np.random.default_rng(1000 * n + d)
    os.makedirs(path, exist_ok=True)
    for name in ("A1", "A2", "A3", "A4", "A5"):
        np.save(os.path.join(path, name + ".npy"), rng.uniform(-entry, entry, size=(n, d)))
    for name in ("X1", "X2", "X3", "Y1", "Y2"):
        np.save(os.path.join(path, name + ".npy"), rng.uniform(-entry, entry, size=(d, d)))
    np.save(os.path.join(path, "E.npy"), rng.uniform(-1, 1, size=(n, d)))
    return path


def run(path, backend):
    cmd = [sethkit, "grad", "--paper", path, "--backend", backend, "--json", "--quiet", "-o", os.path.join(work, "out")]
    if backend == "poly":
        cmd += ["--eps", eps]
    p = subprocess.run(cmd, capture_output=True, text=True)
    j = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    if p.returncode != 0:
        return None, j.get("error", p.stderr.strip())
    return j, ""


def slope(pts):
    if len(pts) < 2:
        return float("nan")
    xs = [math.log(n) for n, _ in pts]
    ys = [math.log(t) for _, t in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


print("%5s %3s | %10s %6s %6s %10s %10s | %10s" % ("n", "d", "poly s", "g", "r", "dX bound", "max|dX|", "exact s"))
summary = []
for d in ds:
    pp, ep = [], []
    for n in ns:
        path = instance(n, d)
        j, err = run(path, "poly")
        if j is None:
            print("%5d %3d | poly refused: %s" % (n, d, err[:150]))
            continue
        t = j["times"]["compute"]
        poly = j["poly"]
        dx = np.load(os.path.join(work, "out", "dX.npy"))
        pp.append((n, t))
        te = ""
        if n <= exact_max:
            je, err = run(path, "exact")
            if je is not None:
                ep.append((n, je["times"]["compute"]))
                dxe = np.load(os.path.join(work, "out", "dX.npy"))
                bound = poly["error_bounds"]["dX"]
                te = "%10.4g" % je["times"]["compute"]
                if bound is not None and np.max(np.abs(dx - dxe)) > bound:
                    te += "  BOUND VIOLATED: %.3g > %.3g" % (np.max(np.abs(dx - dxe)), bound)
        print("%5d %3d | %10.4g %6d %6d %10.3g %10.3g | %10s" % (
            n, d, t, poly["degree"], poly["rank"], poly["error_bounds"]["dX"] or float("inf"),
            float(np.max(np.abs(dx))), te))
    summary.append("d = %d: poly log-log slope %.2f (n = %s), exact %.2f (n = %s)" % (
        d, slope(pp), ",".join(str(n) for n, _ in pp), slope(ep), ",".join(str(n) for n, _ in ep)))
print()
print("\n".join(summary))
EOF
