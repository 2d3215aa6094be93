#!/usr/bin/python3
"""Plot a `sethkit sweep` CSV: solve time against N (log scale), one line per
route, and the instance size against N with plan_chain's prediction dashed.

    /usr/bin/python3 bench/plot_sweep.py sweep.csv sweep.png

Times are the median over seeds of the runs that finished (status ok);
a route with no finished run at some N has no point there.
"""
import csv
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_sweep.py SWEEP.csv OUT.png")
    with open(argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(argv[1] + ": no rows")
    times = defaultdict(lambda: defaultdict(list))
    sizes = defaultdict(lambda: defaultdict(list))
    predicted = defaultdict(lambda: defaultdict(list))
    for r in rows:
        n = int(r["vars"])
        route = r["route"]
        if r["status"] == "ok":
            total = (number(r["reduce_seconds"]) or 0) + (number(r["solve_seconds"]) or 0)
            times[route][n].append(max(total, 1e-6))
            b = number(r["bytes"])
            if b:
                sizes[route][n].append(b)
        p = number(r["predicted_bytes"])
        if p:
            predicted[route][n].append(p)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = {}
    for route in sorted(set(r["route"] for r in rows)):
        color = colors.setdefault(route, "C%d" % len(colors))
        if times[route]:
            ns = sorted(times[route])
            left.plot(ns, [statistics.median(times[route][n]) for n in ns], "o-", color=color, label=route)
        if sizes[route]:
            ns = sorted(sizes[route])
            right.plot(ns, [statistics.median(sizes[route][n]) for n in ns], "o-", color=color, label=route + " measured")
        if predicted[route]:
            ns = sorted(predicted[route])
            right.plot(ns, [statistics.median(predicted[route][n]) for n in ns], "--", color=color,
                       label=route + " predicted")
    left.set_yscale("log")
    left.set_xlabel("N (variables)")
    left.set_ylabel("reduce + solve seconds (median over seeds)")
    left.set_title("solve time per route")
    left.legend(fontsize=8)
    right.set_yscale("log")
    right.set_xlabel("N (variables)")
    right.set_ylabel("instance bytes")
    right.set_title("instance size: measured (solid), plan_chain (dashed)")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=110)


if __name__ == "__main__":
    main(sys.argv)
