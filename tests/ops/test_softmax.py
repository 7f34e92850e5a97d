import numpy as np
from hypothesis import given, strategies as st
from scipy.special import logsumexp as sp_logsumexp, softmax as sp_softmax, log_softmax as sp_log_softmax

import minivae as mv
import minivae.functional as F
from strategies import arrays, check

nonscalar = st.tuples(st.integers(1, 4), st.integers(1, 5))


@given(arrays(nonscalar, -5, 5), st.sampled_from([None, 0, 1, -1]), st.booleans())
def test_logsumexp(a, axis, keepdims):
    check(lambda x: F.logsumexp(x, axis, keepdims), lambda x: sp_logsumexp(x, axis, keepdims=keepdims), a)


@given(arrays(nonscalar, -5, 5), st.sampled_from([0, 1, -1]))
def test_softmax(a, axis):
    check(lambda x: F.softmax(x, axis), lambda x: sp_softmax(x, axis), a)


@given(arrays(nonscalar, -5, 5), st.sampled_from([0, 1, -1]))
def test_log_softmax(a, axis):
    check(lambda x: F.log_softmax(x, axis), lambda x: sp_log_softmax(x, axis), a)


@given(arrays(nonscalar, -5, 5), st.floats(-1000, 1000))
def test_logsumexp_shift(a, c):
    """lse(x + c) = lse(x) + c, and the gradient (the softmax) does not move."""
    x, xc = mv.tensor(a, requires_grad=True), mv.tensor(a + c, requires_grad=True)
    y, yc = F.logsumexp(x, 1), F.logsumexp(xc, 1)
    np.testing.assert_allclose(yc.numpy(), y.numpy() + c, rtol=1e-5, atol=1e-3)
    y.sum().backward(), yc.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), x.grad.numpy(), atol=1e-4)


def test_logsumexp_extreme_rows_float32():
    x = mv.tensor([[1e4, 1e4 - 1.0], [-1e4, -1e4], [-np.inf, -np.inf], [-np.inf, 0.0]], requires_grad=True)
    y = F.logsumexp(x, 1)
    np.testing.assert_allclose(y.numpy(), [1e4 + np.log1p(np.exp(-1.0)), -1e4 + np.log(2), -np.inf, 0.0], rtol=1e-6)
    y[np.array([0, 1, 3])].sum().backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(g[2], [0.0, 0.0])   # an all -inf row: no weight, not NaN
    np.testing.assert_allclose(g[3], [0.0, 1.0])


def test_log_softmax_float32_at_large_offsets():
    """The shift comes off before the log-sum: at 1e4 float32 steps by 1e-3, and
    x - logsumexp(x) was 3.8e-4 off (issue 24, N7)."""
    x = np.array([[1e4, 1e4 + 1, 1e4 - 1]], np.float32)
    want = sp_log_softmax(x.astype(np.float64) - 1e4, axis=-1)
    got = F.log_softmax(mv.tensor(x), axis=-1).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-7)
