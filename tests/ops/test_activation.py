import numpy as np
from hypothesis import given
from scipy.special import expit

import minivae as mv
import minivae.functional as F
from strategies import arrays, check


def _away_from_zero(a):  # relu-like kinks have no derivative at 0
    return np.where(np.abs(a) < 1e-3, 0.5, a)


@given(arrays())
def test_tanh(a):
    check(F.tanh, np.tanh, a)


@given(arrays(low=-6, high=6))
def test_sigmoid(a):
    check(F.sigmoid, expit, a, rtol=1e-12)


@given(arrays())
def test_relu(a):
    check(F.relu, lambda x: np.maximum(x, 0), _away_from_zero(a))


@given(arrays())
def test_leaky_relu(a):
    check(lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), _away_from_zero(a))


@given(arrays(low=-5, high=5))
def test_softplus(a):
    check(F.softplus, lambda x: np.log1p(np.exp(x)), a, rtol=1e-12)


def test_sigmoid_softplus_extremes_float32():
    x = mv.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], requires_grad=True)
    s, sp = F.sigmoid(x), F.softplus(x)
    np.testing.assert_allclose(s.numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(sp.numpy(), [0, 0, np.log(2), 100, 1e4], rtol=1e-6, atol=1e-30)
    (s.sum() + sp.sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))
