#!/usr/bin/python3
"""Turns bench_poly's Google Benchmark JSON into the B-threshold CSV, plot and
summary (see b_threshold.sh). Standard library only, plus matplotlib for the
PNG when it is installed.

    /usr/bin/python3 bench/b_threshold.py OUT/bench_poly.json OUT
"""
import csv
import json
import math
import os
import statistics
import sys

SLOPE_RANGE = (2**12, 2**16)
SPEEDUP_N = 4096


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        family = b["name"].split("/")[0]
        n = int(round(b["n"]))
        c = b["c"]
        key = (c, n)
        rec = rows.setdefault(key, {"c": c, "n": n})
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        t = b["real_time"] * unit
        for k in ("B", "R", "degree", "rank", "estimated", "eps_P", "plan_s"):
            rec[k] = b.get(k, rec.get(k))
        if family == "poly":
            rec["status"] = b.get("label", "")
            rec["poly_s"] = t if rec["status"] == "ok" else None
            rec["error_bound"] = b.get("error_bound")
        elif family == "exact_rows":
            rec["exact_rows"] = int(b["rows"])
            rec["exact_rows_s"] = b["exact_s"]
            rec["err"] = b.get("err")
            rec["log_d_err"] = b.get("log_d_err")
            rec["log_d_bound"] = b.get("log_d_bound")
        elif family == "exact_full":
            rec["exact_full_s"] = b["exact_s"]
    return rows


def fit_exact(rows):
    """T = a n^3 from the measured exact times (full runs and rows x n) with
    n >= 1024 (all of them when there are none that large); also the measured
    log-log exponent."""
    pts = []
    for r in rows.values():
        for k in ("exact_full_s", "exact_rows_s"):
            if r.get(k):
                pts.append((r["n"], r[k]))
    if not pts:
        return None, None
    big = [p for p in pts if p[0] >= 1024] or pts
    a = statistics.median(t / n**3 for n, t in big)
    slope = None
    ns = sorted({n for n, _ in pts})
    if len(ns) >= 2:
        xs = [math.log(n) for n, _ in pts]
        ys = [math.log(t) for _, t in pts]
        slope = lsq_slope(xs, ys)
    return a, slope


def lsq_slope(xs, ys):
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else float("nan")


def fmt(x, spec=".4g"):
    if x is None:
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return format(x, spec)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: b_threshold.py BENCH_POLY.json OUT_DIR")
    rows = load(sys.argv[1])
    out = sys.argv[2]
    a, exact_slope = fit_exact(rows)
    for r in rows.values():
        if r.get("exact_full_s"):
            r["exact_s"], r["exact_source"] = r["exact_full_s"], "measured-full"
        elif r.get("exact_rows_s"):
            r["exact_s"] = r["exact_rows_s"]
            r["exact_source"] = "measured-rows(%d)xn" % r["exact_rows"]
        elif a is not None:
            r["exact_s"], r["exact_source"] = a * r["n"] ** 3, "extrapolated-n3"
        else:
            r["exact_s"], r["exact_source"] = None, ""
        p = r.get("poly_s")
        r["speedup"] = r["exact_s"] / p if p and r["exact_s"] else None
        r["sweep"] = "fixed-B" if r["c"] < 0 else "threshold"

    cols = ["sweep", "c", "n", "log2n", "B", "R", "status", "degree", "degree_estimated",
            "rank", "eps_P", "poly_s", "plan_s", "exact_s", "exact_source", "err_rows",
            "err", "error_bound", "log_d_err", "log_d_bound", "speedup"]
    ordered = sorted(rows.values(), key=lambda r: (r["c"], r["n"]))
    with open(os.path.join(out, "b_threshold.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in ordered:
            w.writerow([r["sweep"], fmt(r["c"]), r["n"], int(round(math.log2(r["n"]))),
                        fmt(r.get("B")), fmt(r.get("R")), r.get("status", ""),
                        int(r.get("degree") or 0), int(r.get("estimated") or 0),
                        fmt(r.get("rank"), ".0f"), fmt(r.get("eps_P")), fmt(r.get("poly_s")),
                        fmt(r.get("plan_s")), fmt(r.get("exact_s")), r.get("exact_source", ""),
                        r.get("exact_rows", ""), fmt(r.get("err")), fmt(r.get("error_bound")),
                        fmt(r.get("log_d_err")), fmt(r.get("log_d_bound")), fmt(r.get("speedup"))])

    lines = []
    fixed = [r for r in ordered if r["c"] < 0 and r.get("poly_s")]
    if fixed:
        b = fixed[0]["B"]
        sel = [r for r in fixed if SLOPE_RANGE[0] <= r["n"] <= SLOPE_RANGE[1]]
        if len(sel) >= 2:
            s = lsq_slope([math.log(r["n"]) for r in sel], [math.log(r["poly_s"]) for r in sel])
            e = math.log(sel[-1]["poly_s"] / sel[0]["poly_s"]) / math.log(sel[-1]["n"] / sel[0]["n"])
            lines.append("poly log-log slope in n (k = 3, d = 4, B = %g, eps from the run), n = %d..%d: "
                         "%.3f least squares, %.3f endpoints (target <= 1.1)"
                         % (b, sel[0]["n"], sel[-1]["n"], s, e))
        at = [r for r in fixed if r["n"] == SPEEDUP_N]
        if at and at[0].get("speedup"):
            r = at[0]
            lines.append("speedup over exact at n = %d (B = %g): %.0fx (poly %.4g s, exact %.4g s, %s; "
                         "target >= 100x)" % (SPEEDUP_N, b, r["speedup"], r["poly_s"], r["exact_s"],
                                              r["exact_source"]))
    if exact_slope is not None:
        lines.append("exact: measured log-log exponent in n %.2f; n^3 law a = %.3g s (T = a n^3)"
                     % (exact_slope, a))
    for c in sorted({r["c"] for r in ordered if r["c"] >= 0}):
        rs = [r for r in ordered if r["c"] == c]
        faster = [r["n"] for r in rs if r.get("speedup") and r["speedup"] > 1]
        refused = [r for r in rs if r.get("status", "ok") != "ok"]
        txt = "c = %g (B = %.3g..%.3g, R = %.3g..%.3g): " % (
            c, rs[0]["B"], rs[-1]["B"], rs[0]["R"], rs[-1]["R"])
        txt += ("poly faster than exact from n = %d" % min(faster)) if faster else "poly never faster"
        ok = [r for r in rs if r.get("status") == "ok"]
        if ok:
            txt += "; ranks %d..%d" % (ok[0]["rank"], ok[-1]["rank"])
        if refused:
            r0 = refused[0]
            txt += "; refused from n = %d (%s: would need g = %d, r = %.3g)" % (
                r0["n"], r0["status"], r0["degree"], r0["rank"])
        lines.append(txt)
    ratios = [r["error_bound"] / r["err"] for r in ordered
              if r.get("err") and r.get("error_bound") and not math.isinf(r["error_bound"])]
    if ratios:
        lines.append("certified bound / measured error on sampled rows: min %.3g, median %.3g, max %.3g "
                     "(%d configurations; never below 1 is the claim)"
                     % (min(ratios), statistics.median(ratios), max(ratios), len(ratios)))
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(ordered, out)


def plot(ordered, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("b_threshold: no matplotlib, no PNG", file=sys.stderr)
        return
    fig, ax = plt.subplots(1, 3, figsize=(17, 5.2))
    cs = sorted({r["c"] for r in ordered})
    cmap = plt.get_cmap("viridis")
    for idx, c in enumerate(cs):
        rs = [r for r in ordered if r["c"] == c]
        col = "black" if c < 0 else cmap(idx / max(1, len(cs) - 1))
        lab = ("B = %g" % rs[0]["B"]) if c < 0 else ("B = %g (ln n)^(1/3)" % c)
        ok = [r for r in rs if r.get("poly_s")]
        ax[0].plot([r["n"] for r in ok], [r["poly_s"] for r in ok], "o-", color=col, label="poly, " + lab)
        meas = [r for r in rs if r.get("exact_s") and r["exact_source"] != "extrapolated-n3"]
        extra = [r for r in rs if r.get("exact_s") and r["exact_source"] == "extrapolated-n3"]
        ax[0].plot([r["n"] for r in meas], [r["exact_s"] for r in meas], "s--", color=col, alpha=0.6,
                   mfc="none")
        ax[0].plot([r["n"] for r in extra], [r["exact_s"] for r in extra], ":", color=col, alpha=0.6)
        ax[1].plot([r["n"] for r in ok], [r["rank"] for r in ok], "o-", color=col, label=lab)
        ref = [r for r in rs if r.get("status") not in (None, "ok")]
        ax[1].plot([r["n"] for r in ref], [r["rank"] for r in ref], "x", color=col, ms=9)
        er = [r for r in rs if r.get("err")]
        ax[2].plot([r["n"] for r in er], [r["err"] for r in er], "o-", color=col, label=lab)
        ax[2].plot([r["n"] for r in er], [r["error_bound"] for r in er], "^:", color=col, alpha=0.6)
    ax[0].set_title("time (s): poly o-, exact measured s--, exact extrapolated n^3 :")
    ax[1].set_title("rank r = C(d+g, g); x = refused (estimated g)")
    ax[2].set_title("max |O~ - O| on sampled rows (o) and certified bound (^)")
    for a_ in ax:
        a_.set_xscale("log", base=2)
        a_.set_yscale("log")
        a_.set_xlabel("n")
        a_.grid(True, which="both", alpha=0.3)
    ax[0].legend(fontsize=7)
    ax[1].legend(fontsize=7)
    fig.suptitle("k = 3, d = 4 tensor attention: polynomial method vs exact as B grows")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "b_threshold.png"), dpi=110)
    print("wrote %s" % os.path.join(out, "b_threshold.png"))


if __name__ == "__main__":
    main()
