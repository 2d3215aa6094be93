"""sethkit for PyTorch (CPU): tensor attention as an autograd Function, and a
drop-in for FBGEMM's 2-simplicial attention.

``tensor_attention`` is sethkit's definition (DESIGN.md, paper 001 Definition
1.5: scale 1/d by default, any k). ``two_simplicial_attention`` has the
semantics of the PyTorch reference in pytorch/FBGEMM
``fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/pytorch/two_simplicial_attention.py``
(``torch_fwd_ref``, default variant) on [batch, seq, heads, head_dim]
tensors, so code written against it runs on CPU unchanged. Both save log D in
the forward and run sethkit's exact backward (no n^3 memory).
"""

import math

import numpy as _np
import torch

from . import _attention

__all__ = ["tensor_attention", "two_simplicial_attention", "TwoSimplicialAttention"]


def _as_numpy(t, dtype):
    t = t.detach()
    if t.dtype != dtype:
        t = t.to(dtype)
    return t.contiguous().numpy()


class _TensorAttentionFunction(torch.autograd.Function):
    """forward(ctx, options, q, *keys_then_values) -> O; saves log D."""

    @staticmethod
    def forward(ctx, options, q, *sides):
        dtype = torch.float64 if q.dtype == torch.float64 else torch.float32
        m = len(sides) // 2
        arrays = [_as_numpy(t, dtype) for t in (q, *sides)]
        o, log_d = _attention.attention(arrays[0], arrays[1:1 + m], arrays[1 + m:], backend=options["backend"],
                                        scale=options["scale"], window=options["window"], eps=options["eps"],
                                        return_logd=True)
        ctx.options = options
        ctx.compute_dtype = dtype
        out = torch.from_numpy(o)
        # The exact backward reuses O and log D (no first pass). O is saved
        # as the output tensor itself, so autograd's version check catches an
        # in-place change of it; an approximate forward's O and log D are not
        # the exact ones and are not reused.
        exact = options["backend"] == "exact"
        ctx.log_d = log_d if exact else None
        ctx.has_o = exact and out.dtype == q.dtype
        ctx.save_for_backward(q, *sides, *([out] if ctx.has_o else []))
        return out if out.dtype == q.dtype else out.to(q.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        q, *sides = ctx.saved_tensors
        o = _as_numpy(sides.pop(), ctx.compute_dtype) if ctx.has_o else None
        m = len(sides) // 2
        dtype = ctx.compute_dtype
        arrays = [_as_numpy(t, dtype) for t in (q, *sides)]
        options = ctx.options
        # backend="poly": the polynomial method's gradient (certified against
        # the exact one); every other backend: the exact backward.
        backend = "poly" if options["backend"] == "poly" else "exact"
        dq, dks, dvs = _attention.attention_backward(arrays[0], arrays[1:1 + m], arrays[1 + m:],
                                                     _as_numpy(grad_out, dtype), scale=options["scale"],
                                                     window=options["window"], logd=ctx.log_d, o=o,
                                                     backend=backend, eps=options["eps"] if backend == "poly" else None)
        grads = [torch.from_numpy(a).to(t.dtype) for a, t in zip([dq, *dks, *dvs], [q, *sides])]
        return (None, *grads)


def tensor_attention(q, keys, values, *, scale=None, window=None, backend="exact", eps=None):
    """Tensor attention of order k = len(keys) + 1 with autograd.

    q: (..., n_q, d); keys: k - 1 tensors (..., n_p, d); values: k - 1 tensors
    (..., n_p, d_v); CPU tensors, float32 or float64 (others are computed in
    float32). scale defaults to 1/d; window = (w1, w2) for k = 3. The backward
    is sethkit's exact backward (log D from the forward is reused).
    """
    keys, values = list(keys), list(values)
    if len(keys) != len(values) or not keys:
        raise ValueError(f"expected k - 1 >= 1 keys and as many values, got {len(keys)} and {len(values)}")
    options = {"scale": scale, "window": None if window is None else tuple(int(w) for w in window),
               "backend": backend, "eps": eps}
    return _TensorAttentionFunction.apply(options, q, *keys, *values)


def two_simplicial_attention(q, k1, k2, v1, v2, w1=-1, w2=-1, sm_scale=None, k2_bias=None, v2_bias=None,
                             disable_kv_bias=False):
    """2-simplicial attention on [batch, seq, heads, head_dim] tensors, with the
    semantics of FBGEMM's PyTorch reference (default variant):

    - scale sm_scale, default 1/sqrt(head_dim);
    - unless disable_kv_bias, K2 is shifted by k2_bias and V2 by v2_bias; as in
      the reference, a falsy bias (None or 0) means the default 1/head_dim for
      K2 and 1 for V2;
    - windows only when w1 > 0 and w2 > 0: key j of K1 and r of K2 are allowed
      for query t iff t - w1 < j <= t and t - w2 < r <= t; otherwise every pair;
    - softmax over the (j, r) pairs of each query and head;
      out[b, t, h] = sum_{j,r} P[b, h, t, j, r] v1[b, j, h] * v2[b, r, h].

    Returns [batch, seq, heads, head_dim]; float32 for inputs other than
    float64 (the reference's use_fp32 default). Differentiable in all five
    inputs.
    """
    if q.dim() != 4:
        raise ValueError(f"q has shape {tuple(q.shape)}: expected [batch, seq, heads, head_dim]")
    for name, t in (("k1", k1), ("k2", k2), ("v1", v1), ("v2", v2)):
        if t.shape != q.shape:
            raise ValueError(f"{name} has shape {tuple(t.shape)} but q has {tuple(q.shape)}")
    d = q.shape[-1]
    if sm_scale is None:
        sm_scale = 1.0 / math.sqrt(d)
    if not k2_bias:
        k2_bias = 1.0 / d
    if not v2_bias:
        v2_bias = 1.0
    dtype = torch.float64 if q.dtype == torch.float64 else torch.float32
    q, k1, k2, v1, v2 = (t.to(dtype) for t in (q, k1, k2, v1, v2))
    if not disable_kv_bias:
        k2 = k2 + k2_bias
        v2 = v2 + v2_bias
    window = (int(w1), int(w2)) if w1 > 0 and w2 > 0 else None
    # [b, s, h, d] -> [b, h, s, d]: sethkit folds the leading (b, h).
    heads_first = [t.transpose(1, 2) for t in (q, k1, k2, v1, v2)]
    out = tensor_attention(heads_first[0], heads_first[1:3], heads_first[3:5], scale=float(sm_scale), window=window)
    return out.transpose(1, 2)


class TwoSimplicialAttention(torch.nn.Module):
    """A 2-simplicial attention layer: projections of x [batch, seq, dim] to Q,
    K1, K2, V1, V2 with `heads` heads of dim // heads, two_simplicial_attention
    with windows (w1, w2) (w <= 0: no window), and an output projection."""

    def __init__(self, dim, heads, w1=-1, w2=-1, bias=False):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim = {dim} is not a multiple of heads = {heads}")
        self.dim, self.heads, self.w1, self.w2 = dim, heads, w1, w2
        self.qkv = torch.nn.Linear(dim, 5 * dim, bias=bias)
        self.out = torch.nn.Linear(dim, dim, bias=bias)

    def forward(self, x):
        b, s, _ = x.shape
        parts = self.qkv(x).view(b, s, 5, self.heads, self.dim // self.heads).unbind(2)
        y = two_simplicial_attention(*parts, w1=self.w1, w2=self.w2)
        return self.out(y.reshape(b, s, self.dim).to(x.dtype))
