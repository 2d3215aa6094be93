#!/usr/bin/python3
"""The landscape experiment (issue 18 part 3; see landscape.sh): which
attention backends certify eps = 1e-6 where, and how fast, for k = 2, 3, 4,
entry bound B from 0.25 to 16 and n from 2^6 to 2^14, on random instances and
on instances reduced from CNFs (paper 001 Lemma B.1 through `sethkit reduce`).

    /usr/bin/python3 bench/landscape.py --sethkit build/sethkit --out OUT [--full | --tiny]
    /usr/bin/python3 bench/landscape.py --check OUT/landscape.csv

Writes OUT/landscape.csv (one row per instance and backend), OUT/landscape.png
(one panel per k: x = n, y = B, both log; colour = the fastest backend that
certified the cell; the curve B = (ln n)^{1/k} of Theorem 1.3/1.4) and
OUT/landscape.md (the summary), and prints the summary.

Random instances: Q and K_p uniform in [-B, B], V_p uniform in [0, 1]
(nonnegative, so float32 can report log O), d = d_v = 4, all sides of length
n, scale 1/d: every score is in [-B^k, B^k] and B is the instance's entry
bound. (`sethkit gen` writes CNF families only; the random attention
instances are written here with NumPy, seeded by the cell.)

Reduced instances: `sethkit reduce CNF --to attention --k K` (direct route,
eps 1e-6) of examples/*.cnf and of `sethkit gen` formulas; their n is the
longest side and their B the manifest's entry_bound_B.

Backends: exact (always), exact --precision float (certified float32, with
--log-output), poly and sparse, each only when `sethkit attention --help`
lists it. Approximate backends run with --eps 1e-6; "certified" is exact's
success (its bound is zero by method) or the run's eps_met. Exact and float
are skipped (status skipped_too_large) where the cost model, calibrated on
this run's own exact times, predicts more than --exact-max-s seconds.
"""
import argparse
import csv
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

COLUMNS = ["kind", "instance", "k", "n", "lengths", "d", "B", "threshold_B", "backend", "status",
           "certified", "eps", "seconds", "error_bound", "log_d_bound", "predicted_exact_s", "note"]
EPS = 1e-6
D = 4
COLOURS = {"exact": "tab:blue", "float": "tab:orange", "poly": "tab:green", "sparse": "tab:red",
           "none": "lightgrey"}
LETTER = {"exact": "E", "float": "F", "poly": "P", "sparse": "S", "none": "-"}


def grid(args):
    if args.tiny:
        return [2], [0.25, 16.0], [6]
    if args.full:
        return [2, 3, 4], [2.0 ** (i / 2) for i in range(-4, 9)], list(range(6, 15))
    return [2, 3, 4], [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], [6, 8, 10, 12, 14]


def backends_available(sethkit):
    text = subprocess.run([sethkit, "attention", "--help"], capture_output=True, text=True).stdout
    m = re.search(r"--backend TEXT:\{([^}]*)\}", text)
    names = m.group(1).split(",") if m else ["exact"]
    out = ["exact"]
    if "--precision" in text and "float" in text:
        out.append("float")
    for b in ("poly", "sparse"):
        if b in names:
            out.append(b)
    return out


def threshold(n, k):
    return math.log(n) ** (1.0 / k)


def write_random(path, k, b, n, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    os.makedirs(path, exist_ok=True)
    np.save(os.path.join(path, "Q.npy"), rng.uniform(-b, b, size=(n, D)))
    for p in range(1, k):
        np.save(os.path.join(path, "K%d.npy" % p), rng.uniform(-b, b, size=(n, D)))
        np.save(os.path.join(path, "V%d.npy" % p), rng.uniform(0.0, 1.0, size=(n, D)))


def command(sethkit, backend, directory, out, timeout):
    cmd = [sethkit, "attention", directory, "--json", "--quiet", "-o", out, "--timeout", "%g" % timeout]
    if backend == "float":
        cmd += ["--precision", "float", "--log-output"]
    elif backend != "exact":
        cmd += ["--backend", backend, "--eps", "%g" % EPS]
    return cmd


def run_backend(sethkit, backend, directory, scratch, timeout):
    """One run: (status, certified, seconds, error_bound, log_d_bound, note)."""
    out = os.path.join(scratch, "o.npy")
    try:
        p = subprocess.run(command(sethkit, backend, directory, out, timeout), capture_output=True, text=True,
                           timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        return "timeout", False, None, None, None, "no answer %g s past --timeout" % 60
    finally:
        if os.path.exists(out):
            os.remove(out)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {}
    if p.returncode == 0:
        certified = True if backend == "exact" else bool(j.get("eps_met"))
        return ("ok", certified, j.get("seconds"), j.get("error_bound"), j.get("log_d_bound"),
                "" if certified else "eps_met false")
    status = {3: "timeout"}.get(p.returncode, j.get("status", "error"))
    note = j.get("error") or (p.stderr.strip().splitlines() or [""])[-1]
    return status, False, None, None, None, " ".join(note.split())[:200]


class Runner:
    def __init__(self, args, backends, scratch):
        self.args, self.backends, self.scratch = args, backends, scratch
        self.rate = None  # exact: tuples * (d + d_v) per second, the best measured so far
        self.rows = []

    def predicted_exact(self, lengths, d, dv):
        tuples = 1.0
        for x in lengths:
            tuples *= x
        work = tuples * (d + dv)
        return work / (self.rate or self.args.rate)

    def run_instance(self, kind, name, k, lengths, d, dv, b, directory):
        n = max(lengths)
        pred = self.predicted_exact(lengths, d, dv)
        big = pred > self.args.exact_max_s
        for backend in self.backends:
            row = {"kind": kind, "instance": name, "k": k, "n": n, "lengths": "x".join(map(str, lengths)),
                   "d": d, "B": "%.6g" % b, "threshold_B": "%.6g" % threshold(n, k), "backend": backend,
                   "eps": "%g" % EPS if backend != "exact" else "", "predicted_exact_s": "%.3g" % pred}
            if big and backend in ("exact", "float"):
                row.update(status="skipped_too_large", certified="no", seconds="", error_bound="",
                           log_d_bound="", note="exact would take about %.3g s (> %g s)" % (pred, self.args.exact_max_s))
            else:
                timeout = self.args.exact_max_s if big and backend == "sparse" else self.args.timeout
                st, cert, sec, eb, lb, note = run_backend(self.args.sethkit, backend, directory, self.scratch, timeout)
                row.update(status=st, certified="yes" if cert else "no", seconds="" if sec is None else "%.6g" % sec,
                           error_bound="" if eb is None else "%.6g" % eb,
                           log_d_bound="" if lb is None else "%.6g" % lb, note=note)
                if backend == "exact" and st == "ok" and sec and sec > 0.05:
                    tuples = 1.0
                    for x in lengths:
                        tuples *= x
                    self.rate = max(self.rate or 0.0, tuples * (d + dv) / sec)
            self.rows.append(row)
            print("landscape: %-7s %-28s k=%d n=%-6d B=%-7.3g %-7s %-18s %s" % (
                kind, name[:28], k, n, b, backend, row["status"], row["seconds"]), file=sys.stderr)


def reduced_sources(args, scratch):
    """(name, cnf path) of examples/*.cnf and a few `sethkit gen` formulas."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    if args.tiny:
        return [("tiny-sat", os.path.join(root, "tiny-sat.cnf"))]
    out = [(os.path.splitext(f)[0], os.path.join(root, f)) for f in sorted(os.listdir(root)) if f.endswith(".cnf")]
    gens = [("gen-random-ksat-v16-s1", ["random-ksat", "--vars", "16", "--ratio", "4.26", "--seed", "1"]),
            ("gen-planted-ksat-v18-s2", ["planted-ksat", "--vars", "18", "--ratio", "4.26", "--seed", "2"]),
            ("gen-php-4-3", ["php", "--pigeons", "4", "--holes", "3"])]
    for name, g in gens:
        path = os.path.join(scratch, name + ".cnf")
        p = subprocess.run([args.sethkit, "gen"] + g + ["-o", path], capture_output=True, text=True)
        if p.returncode == 0:
            out.append((name, path))
        else:
            print("landscape: gen %s failed: %s" % (" ".join(g), p.stderr.strip()), file=sys.stderr)
    return out


def run_all(args):
    import numpy as np  # noqa: F401 (fail early, with its own message)
    backends = backends_available(args.sethkit)
    ks, bs, log2ns = grid(args)
    scratch = tempfile.mkdtemp(prefix="landscape-")
    runner = Runner(args, backends, scratch)
    start = time.time()
    try:
        for k in ks:
            for e in log2ns:
                n = 2 ** e
                for b in bs:
                    directory = os.path.join(scratch, "random")
                    shutil.rmtree(directory, ignore_errors=True)
                    write_random(directory, k, b, n, seed=hash_seed(k, b, n))
                    runner.run_instance("random", "random-k%d-n%d-B%.4g" % (k, n, b), k, [n] * k, D, D, b, directory)
        for name, cnf in reduced_sources(args, scratch):
            for k in ks:
                directory = os.path.join(scratch, "reduced")
                shutil.rmtree(directory, ignore_errors=True)
                p = subprocess.run([args.sethkit, "reduce", cnf, "--to", "attention", "--k", str(k), "-o", directory,
                                    "--json", "--quiet"], capture_output=True, text=True)
                if p.returncode != 0:
                    print("landscape: reduce %s --k %d: %s" % (name, k, (p.stdout + p.stderr).strip()[:200]),
                          file=sys.stderr)
                    continue
                inst = json.loads(p.stdout)["instance"]
                with open(os.path.join(directory, "manifest.json")) as f:
                    b = json.load(f)["entry_bound_B"]
                import numpy as np
                dv = np.load(os.path.join(directory, "V1.npy"), mmap_mode="r").shape[1]
                runner.run_instance("reduced", name, k, inst["n"], inst["d"], dv, b, directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    csv_path = os.path.join(args.out, "landscape.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in runner.rows:
            w.writerow(r)
    meta = {"backends": backends, "ks": ks, "B": bs, "log2n": log2ns, "seconds": time.time() - start,
            "mode": "tiny" if args.tiny else "full" if args.full else "default", "rate": runner.rate,
            "exact_max_s": args.exact_max_s}
    text = summary(runner.rows, meta)
    with open(os.path.join(args.out, "landscape.md"), "w") as f:
        f.write(text)
    print(text)
    plot(runner.rows, meta, os.path.join(args.out, "landscape.png"))


def hash_seed(k, b, n):
    return (k * 1000003 + int(round(b * 1024)) * 7919 + n) % (2 ** 32)


def fastest(rows):
    """Per instance: the certifying backend with the least time ('none' if none)."""
    by = {}
    for r in rows:
        by.setdefault((r["kind"], r["instance"], int(r["k"])), []).append(r)
    out = {}
    for key, rs in by.items():
        ok = [r for r in rs if r["certified"] == "yes" and r["seconds"] != ""]
        best = min(ok, key=lambda r: float(r["seconds"])) if ok else None
        out[key] = (best["backend"] if best else "none", best, rs)
    return out


def summary(rows, meta):
    lines = ["# Landscape: which attention backend certifies eps = 1e-6, and how fast", "",
             "Made by `bench/landscape.sh` (%s grid%s) on %s, %d cores, %s; %.0f s in all. "
             "Backends: %s. Random instances: Q, K_p uniform in [-B, B], V_p in [0, 1], d = d_v = 4, "
             "all sides n. Reduced: `sethkit reduce CNF --to attention --k K` of examples/*.cnf and `gen` "
             "formulas (direct route, eps 1e-6). Threshold: B* = (ln n)^{1/k} (paper 001 Theorems 1.3/1.4). "
             "Exact and float are skipped (skipped_too_large) past a predicted %g s (cost model from this "
             "run's exact times; best measured rate %s tuple-work/s). CSV: docs/landscape.csv; picture: docs/landscape.png."
             % (meta["mode"], "" if meta["mode"] == "full" else "; FULL=1 for the whole grid",
                platform.node() or "this machine", os.cpu_count() or 0, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                meta["seconds"], ", ".join(meta["backends"]), meta["exact_max_s"],
                "%.3g" % meta["rate"] if meta["rate"] else "default"), ""]
    best = fastest(rows)
    for k in meta["ks"]:
        cells = {key: v for key, v in best.items() if key[0] == "random" and key[2] == k}
        if not cells:
            continue
        lines.append("## k = %d" % k)
        lines.append("")
        counts = {}
        for b, _, _ in cells.values():
            counts[b] = counts.get(b, 0) + 1
        lines.append("Fastest certifying backend per cell: " +
                     ", ".join("%s %d" % (b, c) for b, c in sorted(counts.items())) + " (of %d cells)." % len(cells))
        # Poly's reach per n against the threshold.
        reach = []
        for e in meta["log2n"]:
            n = 2 ** e
            ok = [float(r["B"]) for _, _, rs in cells.values() for r in rs
                  if int(r["n"]) == n and r["backend"] == "poly" and r["certified"] == "yes"]
            reach.append("n = 2^%d: %s (B* = %.2f)" % (e, ("B <= %g" % max(ok)) if ok else "none", threshold(n, k)))
        lines.append("Poly certifies up to: " + "; ".join(reach) + ".")
        skipped = sorted({int(r["n"]) for _, _, rs in cells.values() for r in rs if r["status"] == "skipped_too_large"})
        if skipped:
            lines.append("Exact skipped as too large at n = %s." % ", ".join(str(x) for x in skipped))
        middle = sorted((int(rs[0]["n"]), float(rs[0]["B"])) for b, _, rs in cells.values() if b in ("exact", "float"))
        if middle:
            lines.append("Exact evaluation (double, or float32 with its certificate) is the fastest that "
                         "certifies in %d cells (the middle band and above), from B = %g." % (
                             len(middle), min(m[1] for m in middle)))
        sp = []
        for b, r, rs in cells.values():
            ex = [x for x in rs if x["backend"] == "exact" and x["status"] == "ok" and x["seconds"]]
            if b == "poly" and ex and float(r["seconds"]) > 0:
                sp.append((float(ex[0]["seconds"]) / float(r["seconds"]), int(r["n"]), float(r["B"])))
        if sp:
            top = max(sp)
            lines.append("Largest poly speedup over exact where both ran: %.1fx (n = %d, B = %g)." % top)
        lines.append("")
        lines.append("| B \\ n | " + " | ".join("2^%d" % e for e in meta["log2n"]) + " |")
        lines.append("|---" * (len(meta["log2n"]) + 1) + "|")
        for bval in meta["B"]:
            cellrow = []
            for e in meta["log2n"]:
                key = ("random", "random-k%d-n%d-B%.4g" % (k, 2 ** e, bval), k)
                if key not in cells:
                    cellrow.append("")
                    continue
                b, r, rs = cells[key]
                skip = any(x["status"] == "skipped_too_large" for x in rs)
                cellrow.append("%s %s%s" % (LETTER[b], ("%.3g s" % float(r["seconds"])) if r else "", " (E skipped)" if skip else ""))
            lines.append("| %g | " % bval + " | ".join(cellrow) + " |")
        lines.append("")
    lines.append("Letters: E exact, F float32, P poly, S sparse, - none certifies; the time is the fastest "
                 "certifying backend's compute time.")
    lines.append("")
    red = {key: v for key, v in best.items() if key[0] == "reduced"}
    if red:
        lines.append("## Reduced instances")
        lines.append("")
        lines.append("| instance | k | sides | B | B* | certified by | fastest |")
        lines.append("|---|---|---|---|---|---|---|")
        for key in sorted(red, key=lambda x: (x[1], x[2])):
            b, r, rs = red[key]
            certs = ", ".join("%s %.3g s" % (x["backend"], float(x["seconds"])) for x in rs if x["certified"] == "yes")
            lines.append("| %s | %d | %s | %.3g | %.3g | %s | %s |" % (
                key[1], key[2], rs[0]["lengths"], float(rs[0]["B"]), float(rs[0]["threshold_B"]),
                certs or "none", b))
        lines.append("")
    return "\n".join(lines) + "\n"


def plot(rows, meta, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        print("landscape: no matplotlib, no PNG", file=sys.stderr)
        return
    best = fastest(rows)
    ks = meta["ks"]
    fig, axes = plt.subplots(1, len(ks), figsize=(6 * len(ks), 5.2), squeeze=False)
    for ax, k in zip(axes[0], ks):
        for (kind, _, kk), (b, r, rs) in best.items():
            if kk != k:
                continue
            n, bb = int(rs[0]["n"]), float(rs[0]["B"])
            skip = any(x["status"] == "skipped_too_large" for x in rs)
            if kind == "random":
                ax.scatter([n], [bb], marker="s", s=260, color=COLOURS[b], edgecolors="white",
                           hatch="//" if skip else None, zorder=2)
            else:
                ax.scatter([n], [bb], marker="*", s=220, color=COLOURS[b], edgecolors="black", zorder=4)
        ns = [2 ** (x / 10) for x in range(55, 146)]
        ax.plot(ns, [threshold(n, k) for n in ns], "k--", lw=1.5, zorder=3)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("n (longest side)")
        ax.set_ylabel("entry bound B")
        ax.set_title("k = %d: fastest backend certifying eps = 1e-6" % k)
        ax.grid(True, which="major", alpha=0.3)
    handles = [Line2D([], [], marker="s", ls="", color=COLOURS[b], ms=10, label=b) for b in meta["backends"] + ["none"]]
    handles.append(Line2D([], [], ls="--", color="k", label="B = (ln n)^(1/k)"))
    handles.append(Line2D([], [], marker="*", ls="", color="grey", mec="black", ms=12, label="reduced instance"))
    handles.append(Line2D([], [], marker="s", ls="", color="white", mec="grey", ms=10, label="hatched: exact skipped"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    print("landscape: wrote %s" % path, file=sys.stderr)


def check(path):
    """The ctest's check: the columns, and exact certifies wherever it ran."""
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != COLUMNS:
            sys.exit("landscape check: columns %s, expected %s" % (rd.fieldnames, COLUMNS))
        rows = list(rd)
    if not rows:
        sys.exit("landscape check: no rows")
    exact = [r for r in rows if r["backend"] == "exact"]
    if not exact:
        sys.exit("landscape check: no exact rows")
    for r in exact:
        if r["status"] == "skipped_too_large":
            continue
        if r["status"] != "ok" or r["certified"] != "yes":
            sys.exit("landscape check: exact did not certify %s (k = %s): %s %s" % (
                r["instance"], r["k"], r["status"], r["note"]))
    for r in rows:
        if r["certified"] not in ("yes", "no"):
            sys.exit("landscape check: certified is %r" % r["certified"])
        if r["certified"] == "yes" and r["backend"] != "exact" and (not r["error_bound"] or float(r["error_bound"]) > EPS):
            sys.exit("landscape check: %s certified with error bound %r > eps" % (r["backend"], r["error_bound"]))
    kinds = {r["kind"] for r in rows}
    if kinds != {"random", "reduced"}:
        sys.exit("landscape check: kinds %s, expected random and reduced" % sorted(kinds))
    missing = [c for c in ("landscape.md",) if not os.path.exists(os.path.join(os.path.dirname(path), c))]
    if missing:
        sys.exit("landscape check: %s not written" % ", ".join(missing))
    print("landscape check: %d rows, kinds %s, exact certified in all %d runs" % (
        len(rows), ",".join(sorted(kinds)), sum(1 for r in exact if r["status"] == "ok")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sethkit", help="the sethkit binary")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--full", action="store_true", help="the whole grid")
    ap.add_argument("--tiny", action="store_true", help="2 cells and one reduced instance (the ctest)")
    ap.add_argument("--exact-max-s", type=float, default=4.0, help="skip exact past this predicted time")
    ap.add_argument("--timeout", type=float, default=10.0, help="--timeout of each run, seconds")
    ap.add_argument("--rate", type=float, default=2e9, help="exact's tuple-work per second before calibration")
    ap.add_argument("--check", metavar="CSV", help="check a landscape CSV and exit")
    args = ap.parse_args()
    if args.check:
        return check(args.check)
    if not args.sethkit or not args.out:
        ap.error("--sethkit and --out are needed (or --check CSV)")
    run_all(args)


if __name__ == "__main__":
    main()
