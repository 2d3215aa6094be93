#!/usr/bin/env python3
"""Benchmarks of the Python package (issue 15), as ratios taken in one run:

1. call overhead: sethkit.attention at n = 64, d = 16 (k = 3) against the
   same C++ library call timed inside the extension, and against the CLI
   round trip (write .npy files, run `sethkit attention`, read O back);
2. forward + backward through sethkit.torch.tensor_attention against the
   best chunked PyTorch code written here (bmm per query block, each block
   checkpointed so autograd holds O(n^2) per block, not n^3), float32,
   d = 64, k = 3, n = 256..1024, both on THREADS threads;
3. the same with FBGEMM's default windows (512, 32), batch 2, 4 heads,
   seq 2048: two_simplicial_attention against the chunked PyTorch code that
   slices each query block's window and masks it;
4. k = 2 (ordinary attention), n = 4x those sizes: forward and forward +
   backward against PyTorch's softmax(Q K^T / d) V;
5. the peak resident memory of a forward + backward at the largest n, and
   of sethkit's alone (NumPy, no PyTorch) in a fresh child process per
   thread count: its growth beyond inputs and outputs against n^2 floats.

    /usr/bin/python3 bench/bench_python.py [--quick] [--sizes 256,512,1024]

Runs twice, with the CPU's own BLAS kernels (OPENBLAS_CORETYPE=SkylakeX when
the CPU has AVX-512F) and with OPENBLAS_CORETYPE=Haswell (AVX2), and prints the CPU, the core count and the kernel set each time so
figures from different machines are not confused.
"""

import argparse
import math
import os
import platform
import resource
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.utils.checkpoint

import sethkit
import sethkit.torch as st
from sethkit import _sethkit


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def best_of(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def call_overhead(cli, repeats):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((64, 16))
    keys = [rng.standard_normal((64, 16)) for _ in range(2)]
    values = [rng.standard_normal((64, 16)) for _ in range(2)]
    sethkit.attention(q, keys, values)
    py = best_of(lambda: sethkit.attention(q, keys, values), repeats)
    lib = _sethkit._time_exact_forward(q[None], [a[None] for a in keys], [a[None] for a in values], repeats)
    print(f"call overhead, n = 64, d = 16, k = 3: Python {py * 1e6:.1f} us, C++ library call {lib * 1e6:.1f} us, "
          f"ratio {py / lib:.2f} (target <= 1.2)")
    if cli:
        with tempfile.TemporaryDirectory() as tmp:
            def round_trip():
                d = os.path.join(tmp, "inst")
                os.makedirs(d, exist_ok=True)
                np.save(os.path.join(d, "Q.npy"), q)
                for p in (1, 2):
                    np.save(os.path.join(d, f"K{p}.npy"), keys[p - 1])
                    np.save(os.path.join(d, f"V{p}.npy"), values[p - 1])
                subprocess.run([cli, "attention", d, "-o", os.path.join(tmp, "O.npy")], check=True)
                return np.load(os.path.join(tmp, "O.npy"))
            rt = best_of(round_trip, max(3, repeats // 20))
        print(f"CLI round trip {rt * 1e3:.1f} ms: the Python call is {rt / py:.0f}x faster (target >= 20)")


def torch_chunked(q, k1, k2, v1, v2, scale, block, window=None):
    """The PyTorch baseline: per query block, scores (b, bq, n1 * n2) by one
    bmm of (q o k1) against k2, softmax, then the value contraction; each
    block is checkpointed. With a window, each block only sees its keys."""
    n = q.shape[-2]
    outs = []
    for t0 in range(0, n, block):
        t1 = min(n, t0 + block)
        if window is None:
            j0, r0, j1, r1 = 0, 0, n, n
        else:
            j0, r0, j1, r1 = max(0, t0 - window[0] + 1), max(0, t0 - window[1] + 1), t1, t1

        def one_block(qb, k1b, k2b, v1b, v2b, t0=t0, j0=j0, r0=r0):
            # (.., bq, 1, d) * (.., 1, n1, d) -> (.., bq * n1, d) @ (.., d, n2)
            z = (qb.unsqueeze(-2) * k1b.unsqueeze(-3)).flatten(-3, -2)
            s = (z @ k2b.transpose(-1, -2)).unflatten(-2, (qb.shape[-2], k1b.shape[-2])) * scale
            if window is not None:
                t = torch.arange(t0, t0 + qb.shape[-2])[:, None, None]
                j = torch.arange(j0, j0 + k1b.shape[-2])[None, :, None]
                r = torch.arange(r0, r0 + k2b.shape[-2])[None, None, :]
                mask = (t - window[0] < j) & (j <= t) & (t - window[1] < r) & (r <= t)
                s = s.masked_fill(~mask, -math.inf)
            p = torch.softmax(s.flatten(-2), dim=-1).unflatten(-1, s.shape[-2:])
            # sum_{j,r} p[t,j,r] v1[j] v2[r] = sum_j v1[j] * (p[t,j,:] @ v2)
            return ((p @ v2b.unsqueeze(-3)) * v1b.unsqueeze(-3)).sum(-2)

        outs.append(torch.utils.checkpoint.checkpoint(one_block, q[..., t0:t1, :], k1[..., j0:j1, :],
                                                      k2[..., r0:r1, :], v1[..., j0:j1, :], v2[..., r0:r1, :],
                                                      use_reentrant=False))
    return torch.cat(outs, dim=-2)


def fwd_bwd(f, inputs):
    for t in inputs:
        t.grad = None
    out = f(*inputs)
    out.backward(torch.ones_like(out))


def dense(sizes, repeats):
    d = 64
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        x = [(0.5 * torch.randn(n, d, generator=g)).requires_grad_() for _ in range(5)]
        scale = 1 / d
        ours = lambda q, k1, k2, v1, v2: st.tensor_attention(q, [k1, k2], [v1, v2], scale=scale)  # noqa: E731
        theirs = lambda q, k1, k2, v1, v2: torch_chunked(q, k1, k2, v1, v2, scale, block=8)  # noqa: E731
        with torch.no_grad():
            err = (ours(*x) - theirs(*x)).abs().max().item()
        a = best_of(lambda: fwd_bwd(ours, x), repeats)
        b = best_of(lambda: fwd_bwd(theirs, x), repeats)
        print(f"fwd+bwd float32 n = {n:5d}, d = {d}: sethkit {a:.3f} s, chunked PyTorch {b:.3f} s, "
              f"speed-up {b / a:.2f}x (target >= 3), max |diff| {err:.1e}")


def standard(sizes, repeats):
    """k = 2 (ordinary attention) against PyTorch's softmax(Q K^T / d) V with
    the n x n scores materialized (this Debian torch has no fused SDPA)."""
    d = 64
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        x = [(0.5 * torch.randn(n, d, generator=g)).requires_grad_() for _ in range(3)]
        ours = lambda q, k, v: st.tensor_attention(q, [k], [v], scale=1 / d)  # noqa: E731
        theirs = lambda q, k, v: torch.softmax(q @ k.T / d, dim=-1) @ v  # noqa: E731
        with torch.no_grad():
            err = (ours(*x) - theirs(*x)).abs().max().item()
            fa = best_of(lambda: ours(*x), repeats)
            fb = best_of(lambda: theirs(*x), repeats)
        a = best_of(lambda: fwd_bwd(ours, x), repeats)
        b = best_of(lambda: fwd_bwd(theirs, x), repeats)
        print(f"k = 2 float32 n = {n:5d}, d = {d}: fwd sethkit {fa:.4f} s, PyTorch {fb:.4f} s ({fb / fa:.2f}x); "
              f"fwd+bwd {a:.4f} s, {b:.4f} s ({b / a:.2f}x); max |diff| {err:.1e}")


def windowed(seq, repeats):
    b, h, d, w = 2, 4, 64, (512, 32)
    g = torch.Generator().manual_seed(1)
    x = [(0.5 * torch.randn(b, seq, h, d, generator=g)).requires_grad_() for _ in range(5)]
    ours = lambda q, k1, k2, v1, v2: st.two_simplicial_attention(q, k1, k2, v1, v2, *w)  # noqa: E731

    def theirs(q, k1, k2, v1, v2):
        k2, v2 = k2 + 1 / d, v2 + 1
        tr = [t.transpose(1, 2) for t in (q, k1, k2, v1, v2)]
        return torch_chunked(*tr, 1 / math.sqrt(d), block=32, window=w).transpose(1, 2)

    a = best_of(lambda: fwd_bwd(ours, x), repeats)
    b2 = best_of(lambda: fwd_bwd(theirs, x), repeats)
    print(f"fwd+bwd float32 windows {w}, batch {b}, heads {h}, seq {seq}: sethkit {a:.3f} s, "
          f"chunked PyTorch with the mask {b2:.3f} s, speed-up {b2 / a:.2f}x (target >= 10)")


MEMORY_CHILD = r"""
import sys
import numpy as np
import sethkit
n, threads = int(sys.argv[1]), int(sys.argv[2])

def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError("no " + key + " in /proc/self/status")

rng = np.random.default_rng(0)
x = [(0.5 * rng.standard_normal((n, 64))).astype(np.float32) for _ in range(6)]
q, k1, k2, v1, v2, g = x
sethkit.attention(q[:16], [k1[:16], k2[:16]], [v1[:16], v2[:16]], threads=threads)  # load the library
# getrusage's ru_maxrss would start from the parent's peak (it survives fork
# and exec, and this parent holds PyTorch): reset the peak (VmHWM) instead.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status_kib("VmRSS")
o, logd = sethkit.attention(q, [k1, k2], [v1, v2], threads=threads, return_logd=True)
grads = sethkit.attention_backward(q, [k1, k2], [v1, v2], g, logd=logd, o=o, threads=threads)
peak = status_kib("VmHWM")
io = 4 * n * 64 * 10 + 8 * n  # O, log D, dQ, dK1, dK2, dV1, dV2 (and slack)
print((peak - before) * 1024, io)
"""


def own_memory(n):
    import sys
    for threads in (1, 2):
        out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(n), str(threads)], check=True,
                             capture_output=True, text=True).stdout.split()
        grown, io = int(out[0]), int(out[1])
        # The backward's row-chunk accumulators (a plan of the row count only,
        # so the result does not depend on the thread count): at most 64
        # chunks of n x 2 (d + d_v) floats, O(n) at fixed d.
        chunks = min(64, (n + 15) // 16)
        acc = chunks * n * 2 * (64 + 64) * 4
        print(f"sethkit alone, fwd+bwd float32 n = {n}, d = 64, {threads} thread(s): peak RSS grew "
              f"{grown / 2**20:.1f} MiB (outputs {io / 2**20:.1f} MiB; chunk accumulators {acc / 2**20:.1f} MiB; "
              f"n^2 floats = {4 * n * n / 2**20:.1f} MiB)")


def main():
    # Both BLAS kernel sets, each in a child with its own environment (the
    # CPU's own kernels, and AVX2 under OPENBLAS_CORETYPE=Haswell), unless
    # this is such a child.
    if os.environ.get("SETHKIT_BENCH_CHILD") is None:
        import sys
        # An unset OPENBLAS_CORETYPE lets OpenBLAS pick the CPU's kernels, but
        # on a virtual CPU it does not recognise ("Intel Xeon Processor") that
        # is Prescott (SSE3); with AVX-512F in the CPU, name SkylakeX.
        with open("/proc/cpuinfo") as f:
            own = "SkylakeX" if " avx512f" in f.read() else None
        for coretype in (own, "Haswell"):
            env = dict(os.environ, SETHKIT_BENCH_CHILD="1")
            env.pop("OPENBLAS_CORETYPE", None)
            if coretype:
                env["OPENBLAS_CORETYPE"] = coretype
            subprocess.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env, check=True)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cli", default=os.environ.get("SETHKIT_CLI", "build/sethkit"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, {args.threads} threads; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset: the CPU own kernels)')}; "
          f"sethkit {sethkit.__version__}, torch {torch.__version__}")
    sizes = [64, 128] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeats = 1 if args.quick else 3
    call_overhead(args.cli if os.path.exists(args.cli) else None, 50 if args.quick else 200)
    dense(sizes, repeats)
    standard([4 * n for n in sizes], max(repeats, 5))  # millisecond calls: more repeats
    windowed(256 if args.quick else args.seq, repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")
    own_memory(max(sizes))


if __name__ == "__main__":
    main()
