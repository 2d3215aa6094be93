"""sethkit.attention and attention_backward against the textbook formula
(conftest.reference_attention) and finite differences."""

import threading

import numpy as np
import pytest

import sethkit
from conftest import random_instance, reference_attention


@pytest.mark.parametrize("k", [2, 3, 4])
def test_exact_matches_the_definition(rng, k):
    q, keys, values = random_instance(rng, k)
    o, log_d = sethkit.attention(q, keys, values, return_logd=True)
    o_ref, log_d_ref = reference_attention(q, keys, values)
    np.testing.assert_allclose(o, o_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(log_d, log_d_ref, rtol=1e-12)


def test_leading_batch_dimensions_are_looped(rng):
    q, keys, values = random_instance(rng, 3, lead=(2, 3))
    o = sethkit.attention(q, keys, values)
    assert o.shape == (2, 3, 5, 2)
    for b in range(2):
        for h in range(3):
            o_ref, _ = reference_attention(q[b, h], [a[b, h] for a in keys], [a[b, h] for a in values])
            np.testing.assert_allclose(o[b, h], o_ref, rtol=1e-12, atol=1e-12)


def test_float32_inputs_give_float32_and_match(rng):
    q, keys, values = random_instance(rng, 3, dtype=np.float32)
    o = sethkit.attention(q, keys, values)
    assert o.dtype == np.float32
    o_ref, _ = reference_attention(q, keys, values)
    np.testing.assert_allclose(o, o_ref, rtol=1e-5, atol=1e-5)


def test_scale_and_window(rng):
    q, keys, values = random_instance(rng, 3, n=(6, 6, 6))
    o = sethkit.attention(q, keys, values, scale=0.7, window=(3, 2))
    o_ref, _ = reference_attention(q, keys, values, scale=0.7, window=(3, 2))
    np.testing.assert_allclose(o, o_ref, rtol=1e-12, atol=1e-12)


def fd_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


@pytest.mark.parametrize("k,window", [(2, None), (3, None), (3, (3, 2)), (4, None)])
def test_backward_matches_finite_differences(rng, k, window):
    n = (5, 5, 5, 3) if window else (4, 3, 3, 2)
    q, keys, values = random_instance(rng, k, n=n, lead=(2,))
    d_out = rng.standard_normal((2, n[0], 2))

    def loss():
        o, _ = zip(*[reference_attention(q[b], [a[b] for a in keys], [a[b] for a in values], window=window)
                     for b in range(2)])
        return float(np.sum(np.stack(o) * d_out))

    dq, dks, dvs = sethkit.attention_backward(q, keys, values, d_out, window=window)
    np.testing.assert_allclose(dq, fd_gradient(loss, q), rtol=1e-6, atol=1e-7)
    for a, g in zip(keys, dks):
        np.testing.assert_allclose(g, fd_gradient(loss, a), rtol=1e-6, atol=1e-7)
    for a, g in zip(values, dvs):
        np.testing.assert_allclose(g, fd_gradient(loss, a), rtol=1e-6, atol=1e-7)


def test_backward_reuses_logd_from_the_forward(rng):
    q, keys, values = random_instance(rng, 3, lead=(3,))
    d_out = rng.standard_normal((3, 5, 2))
    _, log_d = sethkit.attention(q, keys, values, return_logd=True)
    with_logd = sethkit.attention_backward(q, keys, values, d_out, logd=log_d)
    without = sethkit.attention_backward(q, keys, values, d_out)
    np.testing.assert_allclose(with_logd[0], without[0], rtol=1e-13, atol=1e-14)


def test_float32_backward(rng):
    q, keys, values = random_instance(rng, 3, dtype=np.float32)
    d_out = rng.standard_normal((5, 2)).astype(np.float32)
    dq32, dk32, dv32 = sethkit.attention_backward(q, keys, values, d_out)
    assert dq32.dtype == np.float32
    dq, dk, dv = sethkit.attention_backward(*(np.float64(a) if isinstance(a, np.ndarray) else
                                              [np.float64(x) for x in a] for a in (q, keys, values)),
                                            np.float64(d_out))
    np.testing.assert_allclose(dq32, dq, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dk32[1], dk[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bad,message", [
    (lambda q, k, v: sethkit.attention(q, k[0], v), "sequences of k - 1 arrays"),
    (lambda q, k, v: sethkit.attention(q, k, v[:1]), "as many value arrays"),
    (lambda q, k, v: sethkit.attention(q[0], k, v), "at least 2 dimensions"),
    (lambda q, k, v: sethkit.attention(q[None], k, v), "leading dimensions"),
    (lambda q, k, v: sethkit.attention(q[:, :2], k, v), "d"),
    (lambda q, k, v: sethkit.attention(np.full_like(q, np.nan), k, v), "finite"),
    (lambda q, k, v: sethkit.attention(q, k, v, precision="half"), "precision"),
    (lambda q, k, v: sethkit.attention(q, k, v, window=(1,)), "window"),
    (lambda q, k, v: sethkit.attention(q, k, v, threads=-1), "threads"),
])
def test_bad_input_raises_input_error(rng, bad, message):
    q, keys, values = random_instance(rng, 3)
    with pytest.raises(sethkit.InputError, match=message):
        bad(q, keys, values)
    assert issubclass(sethkit.InputError, ValueError)


def test_size_refusal_is_a_memory_error(rng):
    q, keys, values = random_instance(rng, 3)
    with pytest.raises(sethkit.SizeLimitError, match="limit"):
        sethkit.attention(q, keys, values, max_bytes=16)
    assert issubclass(sethkit.SizeLimitError, MemoryError)


def test_two_python_threads_at_once(rng):
    instances = [random_instance(rng, 3, n=(64, 48, 40), d=8, d_v=4, lead=(2,)) for _ in range(4)]
    expected = [sethkit.attention(*inst) for inst in instances]
    results = [None] * 8

    def work(slot):
        for _ in range(3):
            results[slot] = sethkit.attention(*instances[slot % 4])

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for slot in range(8):
        np.testing.assert_array_equal(results[slot], expected[slot % 4])
