import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.special import logsumexp, softmax

import minivae as mv
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import TOL, assert_paths_agree, both_paths, dtypes, matrices

ks = st.one_of(st.integers(1, 9), st.sampled_from([50, 257, 5000]))


@given(st.integers(1, 6), ks, dtypes, st.data())
def test_iwae_kernel_matches_reference(n, k, dtype, data):
    logw = data.draw(matrices(n, k, dtype, -20, 5))
    results = both_paths(lambda l: F.iwae_bound(l), logw)
    assert_paths_agree(results, **TOL[dtype])
    (bound, weights), _ = results["fast"]
    np.testing.assert_allclose(bound, logsumexp(logw.astype(np.float64), 1) - math.log(k),
                               rtol=TOL[dtype]["rtol"] * 10, atol=1e-5)
    np.testing.assert_allclose(weights, softmax(logw.astype(np.float64), 1), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(weights.sum(1), 1, rtol=1e-5)


@given(st.integers(1, 4), ks, st.floats(-1000, 1000), st.sampled_from(["fast", "reference"]), st.data())
def test_shift_moves_bound_not_weights(n, k, c, mode, data):
    logw = data.draw(matrices(n, k, np.float64, -5, 5))
    mv.set_kernels(mode)
    try:
        b0, w0 = F.iwae_bound(mv.tensor(logw))
        b1, w1 = F.iwae_bound(mv.tensor(logw + c))
    finally:
        mv.set_kernels("fast")
    np.testing.assert_allclose(b1.numpy(), b0.numpy() + c, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(w1.numpy(), w0.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_minus_inf_rows_and_huge_values(mode):
    mv.set_kernels(mode)
    try:
        logw = mv.tensor([[-np.inf, -np.inf, -np.inf], [1e4, 1e4 + 1.0, -np.inf], [0.0, -np.inf, 0.0]],
                         requires_grad=True)
        bound, w = F.iwae_bound(logw)
        bound[np.array([1, 2])].sum().backward()
    finally:
        mv.set_kernels("fast")
    b = bound.numpy()
    assert b[0] == -np.inf and np.all(w.numpy()[0] == 0)
    np.testing.assert_allclose(b[1:], [1e4 + 1 + math.log1p(math.exp(-1)) - math.log(3), -math.log(1.5)], rtol=1e-6)
    g = logw.grad.numpy()
    assert not np.any(np.isnan(g)) and np.all(g[0] == 0)
    np.testing.assert_allclose(g[1:], w.numpy()[1:], rtol=1e-6)   # backward = weights * g


def test_k_equals_one_is_the_log_weight():
    logw = np.array([[-3.5], [2.0]])
    bound, w = F.iwae_bound(mv.tensor(logw))
    np.testing.assert_allclose(bound.numpy(), logw[:, 0])
    np.testing.assert_array_equal(w.numpy(), [[1.0], [1.0]])


def test_iwae_gradients():
    logw = np.random.default_rng(0).standard_normal((3, 6)) * 3
    assert gradcheck(lambda l: F.iwae_bound(l)[0], logw)
    assert gradgradcheck(lambda l: F.iwae_bound(l)[0], logw)


def test_iwae_bad_shape():
    with pytest.raises(ValueError, match=r"iwae_bound: log-weights must have shape \(batch, k\)"):
        F.iwae_bound(mv.tensor(np.ones(3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_plus_inf_log_weight_gives_an_infinite_bound(mode, dtype):
    """L_k = +inf (PyTorch's logsumexp), and the +inf entries share the weight equally:
    the limit of the normalized weights, where exp(inf - inf) would be NaN."""
    mv.set_kernels(mode)
    try:
        logw = mv.tensor(np.array([[np.inf, 0.0, np.inf, -np.inf], [0.0, 1.0, 2.0, 3.0]], dtype),
                         requires_grad=True)
        bound, w = F.iwae_bound(logw)
        bound[np.array([0])].sum().backward()
    finally:
        mv.set_kernels("fast")
    assert bound.numpy()[0] == np.inf
    np.testing.assert_allclose(bound.numpy()[1], logsumexp([0.0, 1.0, 2.0, 3.0]) - math.log(4), rtol=1e-6)
    np.testing.assert_array_equal(w.numpy()[0], [0.5, 0.0, 0.5, 0.0])
    np.testing.assert_array_equal(logw.grad.numpy()[0], [0.5, 0.0, 0.5, 0.0])
    np.testing.assert_array_equal(logw.grad.numpy()[1], 0.0)
