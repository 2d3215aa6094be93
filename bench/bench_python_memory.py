#!/usr/bin/env python3
"""Peak memory of forward + backward through sethkit.torch.tensor_attention.

Issue 15 asks that forward + backward never hold more than O(n^2) per thread
beyond inputs and outputs. Each size runs in a fresh process (the peak RSS,
getrusage's ru_maxrss, is a high-water mark that never goes down): the
process builds the inputs, runs one warm-up at a small n so that the
libraries' pools exist, records its RSS, then runs forward + backward once
and reports the growth of the peak. That growth is compared with the inputs
and outputs (Q, K_p, V_p, O, their gradients, log D) and with n^2 per thread:
an O(n^3) buffer would show as 8x per doubling of n, O(n^2) as 4x.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/bench_python_memory.py
       [--sizes 256,512,1024] [--d 64] [--threads 2]
"""
import argparse
import os
import resource
import subprocess
import sys


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(n, d, threads):
    import torch
    import sethkit.torch as st

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)

    def inputs(n):
        q = torch.randn(n, d, generator=gen, requires_grad=True)
        keys = [torch.randn(n, d, generator=gen, requires_grad=True) for _ in range(2)]
        values = [torch.randn(n, d, generator=gen, requires_grad=True) for _ in range(2)]
        return q, keys, values

    q, keys, values = inputs(32)
    st.tensor_attention(q, keys, values).sum().backward()
    q, keys, values = inputs(n)
    grad_out = torch.randn(n, d, generator=gen)
    # Touch the gradient buffers' future size too: they are outputs.
    base_rss = rss_bytes()
    base_peak = peak_bytes()
    out = st.tensor_attention(q, keys, values)
    out.backward(grad_out)
    grown = peak_bytes() - max(base_peak, base_rss)
    io_bytes = 4 * n * d * (1 + 2 + 2) * 2 + 4 * n * d + 4 * n  # inputs + grads, O, log D
    print(f"{n} {grown} {io_bytes}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", type=int, default=0)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.d, args.threads)
        return
    print(f"peak memory of forward + backward, k = 3, d = {args.d}, float32, {args.threads} threads")
    print(f"{'n':>6} {'peak growth':>12} {'inputs+outputs':>15} {'growth - io':>12} {'per thread / n^2 floats':>24}")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(n), "--d", str(args.d),
                            "--threads", str(args.threads)], check=True, capture_output=True, text=True)
        _, grown, io = (int(x) for x in r.stdout.split())
        extra = max(0, grown - io)
        rows.append((n, extra))
        print(f"{n:>6} {grown / 2**20:>10.1f} M {io / 2**20:>13.1f} M {extra / 2**20:>10.1f} M "
              f"{extra / args.threads / (4 * n * n):>24.2f}")
    for (n0, e0), (n1, e1) in zip(rows, rows[1:]):
        if e0 > 0:
            print(f"n {n0} -> {n1}: extra memory x{e1 / e0:.2f} (O(n^2): x{(n1 / n0) ** 2:.0f}, "
                  f"O(n^3): x{(n1 / n0) ** 3:.0f})")


if __name__ == "__main__":
    main()
