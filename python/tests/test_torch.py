"""sethkit.torch: autograd against gradcheck, and two_simplicial_attention
against a slow einsum reference of FBGEMM's documented semantics (the
PyTorch reference torch_fwd_ref of fbgemm_gpu/experimental/simplicial_attention,
default variant): written here from those semantics, not from sethkit."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import sethkit.torch as st  # noqa: E402


def fbgemm_semantics(q, k1, k2, v1, v2, w1=-1, w2=-1, sm_scale=None, k2_bias=None, v2_bias=None,
                     disable_kv_bias=False):
    """[b, s, h, d] in, [b, s, h, d] out, O(s^3) memory, float64."""
    q, k1, k2, v1, v2 = (t.double() for t in (q, k1, k2, v1, v2))
    b, s, h, d = q.shape
    sm_scale = 1 / math.sqrt(d) if sm_scale is None else sm_scale
    k2_bias = k2_bias or 1 / d
    v2_bias = v2_bias or 1.0
    if not disable_kv_bias:
        k2, v2 = k2 + k2_bias, v2 + v2_bias
    logits = torch.einsum("bthc,bshc,brhc->bhtsr", q, k1, k2)
    if w1 > 0 and w2 > 0:
        t = torch.arange(s)[:, None, None]
        j = torch.arange(s)[None, :, None]
        r = torch.arange(s)[None, None, :]
        mask = (t - w1 < j) & (j <= t) & (t - w2 < r) & (r <= t)
        logits = torch.where(mask, logits, torch.tensor(-math.inf, dtype=logits.dtype))
    logits = logits * sm_scale
    p = torch.softmax(logits.reshape(b, h, s, s * s), dim=-1).reshape(b, h, s, s, s)
    return torch.einsum("bhtsr,bshc,brhc->bthc", p, v1, v2)


def five(shape, dtype=torch.float64, seed=0, requires_grad=True):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=dtype).requires_grad_(requires_grad) for _ in range(5)]


@pytest.mark.parametrize("window", [(-1, -1), (4, 2), (3, 5)])
@pytest.mark.parametrize("bias", [dict(), dict(disable_kv_bias=True), dict(k2_bias=0.3, v2_bias=-0.5),
                                  dict(k2_bias=0.0, v2_bias=0.0), dict(sm_scale=0.2)])
def test_two_simplicial_forward_and_backward_match_the_reference(window, bias):
    x = five((2, 7, 3, 4))
    y = five((2, 7, 3, 4))
    out = st.two_simplicial_attention(*x, *window, **bias)
    ref = fbgemm_semantics(*y, *window, **bias)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
    d_out = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    out.backward(d_out)
    ref.backward(d_out)
    for a, b in zip(x, y):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-11)


def test_two_simplicial_float32():
    x = five((1, 9, 2, 8), dtype=torch.float32, requires_grad=False)
    out = st.two_simplicial_attention(*x, 4, 3)
    assert out.dtype == torch.float32 and out.shape == (1, 9, 2, 8)
    torch.testing.assert_close(out.double(), fbgemm_semantics(*x, 4, 3), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_tensor_attention_gradcheck(k):
    g = torch.Generator().manual_seed(k)
    n = [4, 3, 3, 2][:k]
    q = torch.randn(2, n[0], 3, dtype=torch.float64, generator=g, requires_grad=True)
    keys = [torch.randn(2, m, 3, dtype=torch.float64, generator=g, requires_grad=True) for m in n[1:]]
    values = [torch.randn(2, m, 2, dtype=torch.float64, generator=g, requires_grad=True) for m in n[1:]]
    m = k - 1
    assert torch.autograd.gradcheck(lambda q, *s: st.tensor_attention(q, s[:m], s[m:]), (q, *keys, *values))


def test_tensor_attention_gradcheck_with_window_and_scale():
    g = torch.Generator().manual_seed(7)
    args = [torch.randn(6, 3, dtype=torch.float64, generator=g, requires_grad=True) for _ in range(5)]
    assert torch.autograd.gradcheck(
        lambda q, k1, k2, v1, v2: st.tensor_attention(q, [k1, k2], [v1, v2], window=(3, 2), scale=0.5), args)


def test_module_learns():
    # A student layer fits the outputs of a teacher layer of the same shape:
    # only a working backward (windows included) brings the loss down.
    torch.manual_seed(0)
    teacher = st.TwoSimplicialAttention(dim=8, heads=2, w1=4, w2=3)
    student = st.TwoSimplicialAttention(dim=8, heads=2, w1=4, w2=3)
    x = torch.randn(4, 6, 8)
    with torch.no_grad():
        target = teacher(x)
    opt = torch.optim.Adam(student.parameters(), lr=0.03)
    losses = []
    for _ in range(80):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(student(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
