"""Tensor attention on NumPy arrays (DESIGN.md "Conventions"; paper 001,
Definitions 1.1 and 1.5).

For k - 1 key sides K_p (n_p x d) and value sides V_p (n_p x d_v):
    S[i, j_1..j_{k-1}] = scale * sum_c Q[i,c] K_1[j_1,c] ... K_{k-1}[j_{k-1},c]
    D_i = sum_j exp(S[i, j]),  O[i] = sum_j exp(S[i, j]) V_1[j_1] o ... o V_{k-1}[j_{k-1}] / D_i
with scale = 1/d by default (the paper's; 2-simplicial attention uses
1/sqrt(d)). Any leading dimensions (batch, heads, ...) shared by all inputs
are looped over in C++ with the GIL released.
"""

import numpy as _np

from . import _sethkit

_FLOATS = (_np.float32, _np.float64)


def backends():
    """The registered attention backends: a list of dicts with each one's
    name and what it supports (orders k, windows, precisions, gradient)."""
    return _sethkit._backends()


def _common_dtype(arrays, precision):
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) == 1 and next(iter(dtypes)) in _FLOATS:
        return next(iter(dtypes))
    # Mixed or non-float inputs: compute at the requested precision.
    return _np.dtype(_np.float32 if precision == "float" else _np.float64)


def _prepare(q, keys, values, precision, extra=()):
    """Checks the shapes and returns C-contiguous (B, n, d) views (no copy for
    C-contiguous float32/float64 inputs of one dtype), the leading shape, and
    the precision name."""
    if isinstance(keys, _np.ndarray) or isinstance(values, _np.ndarray):
        raise _sethkit.InputError("keys and values are sequences of k - 1 arrays, one per side "
                                  "(for k = 3: [K1, K2] and [V1, V2])")
    keys, values = list(keys), list(values)
    if len(keys) == 0 or len(keys) != len(values):
        raise _sethkit.InputError(f"expected k - 1 >= 1 key arrays and as many value arrays, "
                                  f"got {len(keys)} keys and {len(values)} values")
    if precision not in (None, "float", "double"):
        raise _sethkit.InputError(f"precision {precision!r} is not 'float' or 'double'")
    arrays = [_np.asarray(a) for a in [q, *keys, *values, *extra]]
    names = ["q"] + [f"keys[{p}]" for p in range(len(keys))] + [f"values[{p}]" for p in range(len(values))] + \
        ["grad_out"] * len(extra)
    for name, a in zip(names, arrays):
        if a.ndim < 2:
            raise _sethkit.InputError(f"{name} has shape {a.shape}: expected (..., n, d) with at least 2 dimensions")
    for name, a in zip(names, arrays):
        _check_finite(name, a)
    lead = arrays[0].shape[:-2]
    for name, a in zip(names, arrays):
        if a.shape[:-2] != lead:
            raise _sethkit.InputError(f"{name} has leading dimensions {a.shape[:-2]} but q has {lead}: "
                                      "every input shares the same leading (batch) dimensions")
    if precision is None:
        dtype = _common_dtype(arrays, "double")
        precision = "float" if dtype == _np.float32 else "double"
    else:
        dtype = _common_dtype(arrays, precision)
    folded = [_np.ascontiguousarray(a, dtype=dtype).reshape((-1,) + a.shape[-2:]) for a in arrays]
    return folded, lead, precision


def _check_finite(name, a):
    """The .npy reader's refusal of a non-finite entry, in its words."""
    if a.dtype.kind in "fc" and not _np.isfinite(a).all():
        where = tuple(int(i) for i in _np.argwhere(~_np.isfinite(a))[0])
        what = "NaN" if _np.isnan(a[where]) else "infinite"
        raise _sethkit.InputError(f"{name}: entry ({', '.join(map(str, where))}) is {what}; "
                                  "every entry must be finite")


def _window(window):
    if window is None:
        return None
    try:
        w1, w2 = (int(w) for w in window)
    except (TypeError, ValueError):
        raise _sethkit.InputError(f"window {window!r} is not a pair (w1, w2) of ints") from None
    return (w1, w2)


def attention(q, keys, values, *, backend="exact", scale=None, window=None, eps=None, precision=None,
              threads=None, max_bytes=None, return_logd=False, return_report=False):
    """Tensor attention O of order k = len(keys) + 1.

    q: (..., n_q, d); keys: k - 1 arrays (..., n_p, d); values: k - 1 arrays
    (..., n_p, d_v); the leading dimensions "..." are shared by all inputs.
    float32 and float64 arrays that are C-contiguous are used in place.

    backend: a name from ``sethkit.backends()`` ("exact", "poly", "reference", ...).
    scale: score scale (default 1/d). window: (w1, w2) causal windows for k = 3
    with FBGEMM's convention i - w1 < j1 <= i, i - w2 < j2 <= i.
    eps: target relative error of an approximate backend (refused for exact).
    precision: "float" or "double" (default: the inputs' dtype).
    threads: OpenMP threads (default: all). max_bytes: memory limit of the
    backend (default: the library's).

    Returns O (..., n_q, d_v); with return_logd also log D (..., n_q) (float64;
    -inf for a row with no allowed tuple); with return_report also a dict
    (backend, degree, rank, certified bounds ...). Raises InputError for bad
    input and SizeLimitError when the backend refuses by size.
    """
    (qf, *rest), lead, precision = _prepare(q, keys, values, precision)
    kf, vf = rest[:len(rest) // 2], rest[len(rest) // 2:]
    o, log_d, report = _sethkit._attention_forward(
        qf, kf, vf, backend=str(backend), scale=None if scale is None else float(scale), window=_window(window),
        eps=None if eps is None else float(eps), precision=precision, threads=0 if threads is None else int(threads),
        max_bytes=None if max_bytes is None else float(max_bytes))
    o = o.reshape(lead + o.shape[1:])
    out = [o]
    if return_logd:
        out.append(log_d.reshape(lead + log_d.shape[1:]))
    if return_report:
        out.append(report)
    return out[0] if len(out) == 1 else tuple(out)


def attention_backward(q, keys, values, grad_out, *, scale=None, window=None, precision=None, logd=None,
                       o=None, backend="exact", eps=None, threads=None, max_bytes=None, return_bound=False):
    """The exact backward of ``attention``: given dO = grad_out (..., n_q, d_v),
    returns (dQ, [dK_1..], [dV_1..]) with the inputs' shapes. logd, the log D
    returned by the forward (``return_logd=True``), and o, its output, save
    the backward's first pass (which recomputes them). Windows and float32
    are supported as in the forward; the result does not depend on threads.

    backend="poly" (with eps) uses the polynomial method's gradient instead;
    with return_bound the certified entrywise bound on its distance to the
    exact gradient comes last (0 for the exact backward)."""
    (qf, *rest), lead, precision = _prepare(q, keys, values, precision, extra=(grad_out,))
    n = len(rest) - 1
    kf, vf, gf = rest[:n // 2], rest[n // 2:n], rest[n]
    if logd is not None:
        logd = _np.ascontiguousarray(logd, dtype=_np.float64)
        if logd.shape != lead + (qf.shape[1],):
            raise _sethkit.InputError(f"logd has shape {logd.shape}, expected {lead + (qf.shape[1],)}")
        logd = logd.reshape(-1, qf.shape[1])
    if o is not None:
        o = _np.ascontiguousarray(o, dtype=qf.dtype)
        if o.shape != lead + (qf.shape[1], rest[n - 1].shape[-1]):
            raise _sethkit.InputError(f"o has shape {o.shape}, expected the forward's "
                                      f"{lead + (qf.shape[1], rest[n - 1].shape[-1])}")
        o = o.reshape(-1, *o.shape[-2:])
    dq, dks, dvs, bound = _sethkit._attention_backward(
        qf, kf, vf, gf, logd=logd, o=o, scale=None if scale is None else float(scale), window=_window(window),
        threads=0 if threads is None else int(threads), max_bytes=None if max_bytes is None else float(max_bytes),
        backend=str(backend), eps=None if eps is None else float(eps))
    shape = lambda a, like: a.reshape(_np.shape(like))  # noqa: E731
    out = (shape(dq, q), [shape(a, like) for a, like in zip(dks, keys)],
           [shape(a, like) for a, like in zip(dvs, values)])
    return out + (bound,) if return_bound else out
