"""Shared references for the pytest suite: slow textbook formulas written
from the definitions (DESIGN.md "Conventions"), independent of sethkit."""

import os
import shutil

import numpy as np
import pytest


def tuple_rows(sides):
    """Column-wise Kronecker product of the sides: row j1 + j2*n1 + ...,
    entry prod_p side_p[j_p, c] (paper Definition 2.4, 0-based)."""
    out = sides[0]
    for s in sides[1:]:
        out = (s[:, None, :] * out[None, :, :]).reshape(-1, out.shape[-1])
    return out


def window_mask(n_q, lengths, window):
    """allowed[i, tuple] for k = 3 causal windows: i-w1 < j1 <= i, i-w2 < j2 <= i."""
    n1, n2 = lengths
    i = np.arange(n_q)[:, None, None]
    j1 = np.arange(n1)[None, None, :]
    j2 = np.arange(n2)[None, :, None]
    w1, w2 = window
    ok = (i - w1 < j1) & (j1 <= i) & (i - w2 < j2) & (j2 <= i)
    return ok.reshape(n_q, n1 * n2)


def reference_attention(q, keys, values, scale=None, window=None):
    """O and log D for one (n, d) instance in float64, by materialising the
    n_q x prod(n_p) scores."""
    q = np.asarray(q, np.float64)
    keys = [np.asarray(k, np.float64) for k in keys]
    values = [np.asarray(v, np.float64) for v in values]
    d = q.shape[1]
    scale = 1.0 / d if scale is None else scale
    s = scale * q @ tuple_rows(keys).T
    if window is not None:
        s = np.where(window_mask(q.shape[0], [k.shape[0] for k in keys], window), s, -np.inf)
    m = s.max(axis=1, keepdims=True)
    p = np.exp(s - m)
    dsum = p.sum(axis=1, keepdims=True)
    return p @ tuple_rows(values) / dsum, (np.log(dsum) + m)[:, 0]


def random_instance(rng, k, n=(5, 4, 3, 2), d=3, d_v=2, lead=(), dtype=np.float64, spread=1.0):
    n_q, sides = n[0], n[1:k]
    q = rng.standard_normal(lead + (n_q, d)) * spread
    keys = [rng.standard_normal(lead + (m, d)) * spread for m in sides]
    values = [rng.standard_normal(lead + (m, d_v)) for m in sides]
    return q.astype(dtype), [a.astype(dtype) for a in keys], [a.astype(dtype) for a in values]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def cli():
    """Path of the sethkit executable the suite was built with."""
    path = os.environ.get("SETHKIT_CLI") or shutil.which("sethkit")
    if not path or not os.path.exists(path):
        pytest.skip("the sethkit executable is not known (set SETHKIT_CLI)")
    return path
