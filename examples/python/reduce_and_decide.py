#!/usr/bin/env python3
"""CNF -> attention arrays -> decide -> assignment, in process.

Reduces a CNF through the chain (split and list to kOV, the direct signed
route to exact k-MaxIP, Lemma B.1 to tensor attention), runs sethkit's exact
attention on the arrays, decides each query row in the log domain

    log O_i = log N_i - log D_i,  N_i = the normalizer over the data rows
                                  (the rows whose value is 1),

maps a YES row back to a satisfying assignment (checked on the CNF), and
plots log O_i of every row against the threshold.

    /usr/bin/python3 examples/python/reduce_and_decide.py [FILE.cnf] [--k 3] [--png OUT.png]
"""

import argparse
import itertools
import os

import numpy as np

import sethkit

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cnf", nargs="?", default=os.path.join(HERE, "..", "random3-14-sat.cnf"))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--png", default="reduce_and_decide.png")
    args = parser.parse_args()

    cnf = sethkit.read_cnf(args.cnf)
    plan = sethkit.plan(cnf, "attention", k=args.k)
    for stage in plan["stages"]:
        print(f"plan: {stage['stage']:<10} vectors {stage['vectors']}, dimension {stage['dimension']:.0f}, "
              f"{stage['bytes'] / 1024:.1f} KiB")
    inst = sethkit.reduce(cnf, "attention", k=args.k)
    emb = inst.embedding
    print(f"attention: Q {inst.q.shape}, keys {[k.shape for k in inst.keys]}, beta = {emb['beta']:.4g}, "
          f"B = {emb['entry_bound']:.4g} (the paper's C_b (log n)^(1/k) = {emb['paper_entry_bound']:.4g})")

    # log D over every key tuple, and log N over the data tuples (value 1).
    data = [v[:, 0] == 1 for v in inst.values]
    scale = inst.manifest["scale"]
    _, log_d = sethkit.attention(inst.q, inst.keys, inst.values, return_logd=True, scale=scale)
    _, log_n = sethkit.attention(inst.q, [k[m] for k, m in zip(inst.keys, data)],
                                 [v[m] for v, m in zip(inst.values, data)], return_logd=True,
                                 scale=scale)
    log_o = log_n - log_d
    threshold = inst.manifest["threshold"]
    yes = np.flatnonzero(log_o >= threshold)
    print(f"{len(yes)} of {len(log_o)} query rows are YES (log O >= {threshold:.6g})")

    if len(yes):
        row = int(yes[0])
        # The YES row's best key tuple among the data rows, by the MaxIP
        # vectors the attention instance embeds.
        vectors = [inst.vectors(p) for p in range(args.k)]
        first = inst.manifest["row_map"][0][row]
        best = max(itertools.product(*(range(len(v)) for v in vectors[1:])),
                   key=lambda t: int(np.sum(np.prod([vectors[0][first]] + [vectors[p + 1][j]
                                                                         for p, j in enumerate(t)], axis=0))))
        # data row j of key side p is the j-th row whose value is 1
        witness = [row] + [int(np.flatnonzero(m)[j]) for m, j in zip(data, best)]
        assignment = inst.map_back(witness)
        assert cnf.satisfied_by(assignment)
        print("SATISFIABLE: " + " ".join(str(v + 1 if x else -(v + 1)) for v, x in enumerate(assignment)))
    else:
        print("UNSATISFIABLE: no row reaches the threshold")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing: no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(log_o, ".", ms=3, label="log O_i per query row")
    ax.axhline(threshold, color="red", lw=1, label="threshold")
    ax.set_xlabel("query row i")
    ax.set_ylabel("log O_i")
    ax.set_title(f"{os.path.basename(args.cnf)}: {len(yes)} YES rows")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
