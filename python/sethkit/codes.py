"""The codes of the MA protocol (paper 001, Theorem 4.4): Reed-Solomon codes
on the first n field elements and one-point Hermitian codes L(aP) on the q^3
affine points of y^q + y = x^(q+1) over F_{q^2}.

Each function returns the dict of ``sethkit codes ... --json`` (field_size,
n, dimension, designed_distance, min_distance, information_set, ...) plus
``generator`` and ``parity_check`` as int64 arrays, ``field`` (its order,
characteristic, modulus and how elements are numbered) and, with product=K,
``product_generator`` of the K-way product code C^(K)."""

from . import _chain, _sethkit

__all__ = ["reed_solomon", "hermitian"]


def _with_cli(args, matrices):
    _, doc = _chain._run_json(["codes", *args])
    doc.update(matrices)
    return doc


def reed_solomon(q, n, dim, *, product=None):
    """RS[n, dim] over GF(q) (q a prime p or p^2), on the first n elements."""
    args = ["--code", "rs", "--q", q, "--n", n, "--dim", dim] + (["--product", product] if product else [])
    return _with_cli(args, _sethkit._reed_solomon_matrices(int(q), int(n), int(dim), int(product or 0)))


def hermitian(q, a, *, product=None):
    """The one-point Hermitian code L(aP) over F_{q^2}, q prime, 0 <= a < q^3."""
    args = ["--code", "hermitian", "--q", q, "--a", a] + (["--product", product] if product else [])
    return _with_cli(args, _sethkit._hermitian_matrices(int(q), int(a), int(product or 0)))
