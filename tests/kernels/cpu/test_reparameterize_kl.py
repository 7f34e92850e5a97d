import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import TOL, assert_paths_agree, both_paths, dtypes, matrices


@given(st.integers(1, 9), st.integers(1, 9), dtypes, st.data())
def test_reparameterize_kl_kernel_matches_reference(n, d, dtype, data):
    mu, lv, eps = (data.draw(matrices(n, d, dtype, -3, 3)) for _ in range(3))
    results = both_paths(lambda m, l, e: F.reparameterize_kl(m, l, e), mu, lv, eps)
    assert_paths_agree(results, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logvar_is_clamped_never_nan(dtype):
    mu = np.zeros((2, 3), dtype)
    lv = np.array([[100.0, -100.0, 0.0], [29.0, -29.0, 30.5]], dtype)
    eps = np.ones((2, 3), dtype)
    results = both_paths(lambda m, l, e: F.reparameterize_kl(m, l, e), mu, lv, eps)
    assert_paths_agree(results, rtol=1e-5)
    (z, kl), (gmu, glv, geps) = results["fast"]
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(kl)) and np.all(np.isfinite(glv))
    np.testing.assert_allclose(z[0], np.exp([15.0, -15.0, 0.0]), rtol=1e-5)   # clamped to +-30
    assert glv[0, 0] == glv[0, 1] == glv[1, 2] == 0.0                         # outside: no gradient
    assert glv[1, 0] != 0.0 and glv[1, 1] != 0.0


def test_reparameterize_kl_values_and_gradients():
    rng = np.random.default_rng(0)
    mu, lv, eps = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    z, kl = F.reparameterize_kl(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, eps)))
    np.testing.assert_allclose(z.numpy(), mu + np.exp(lv / 2) * eps, rtol=1e-12)
    np.testing.assert_allclose(kl.numpy(), 0.5 * (np.exp(lv) + mu ** 2 - 1 - lv).sum(1), rtol=1e-12)
    np.testing.assert_allclose(kl.numpy(), F.kl_normal(mv.tensor(mu, dtype=np.float64),
                                                       mv.tensor(lv, dtype=np.float64)).numpy(), rtol=1e-12)
    f = lambda m, l: F.reparameterize_kl(m, l, mv.tensor(eps, dtype=np.float64))
    assert gradcheck(f, mu, lv) and gradgradcheck(f, mu, lv)


def test_only_kl_used():
    mu, lv = mv.tensor([[1.0, 2.0]], requires_grad=True), mv.tensor([[0.0, 0.5]], requires_grad=True)
    _, kl = F.reparameterize_kl(mu, lv, mv.tensor([[0.3, -0.2]]))
    kl.sum().backward()   # z unused: its gradient is zero
    np.testing.assert_allclose(mu.grad.numpy(), [[1.0, 2.0]])
    np.testing.assert_allclose(lv.grad.numpy(), 0.5 * (np.exp([[0.0, 0.5]]) - 1), rtol=1e-6)


def test_shape_mismatch():
    with pytest.raises(ValueError, match="reparameterize_kl: mu"):
        F.reparameterize_kl(mv.tensor(np.ones((2, 3))), mv.tensor(np.ones((2, 3))), mv.tensor(np.ones((3, 2))))


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_clamp_edges_keep_their_gradient(mode):
    """The clamp is inclusive, as clip's gradient is: at logvar = -30 and +30 exactly,
    d kl / d logvar = (e^lv - 1) / 2 = -0.5 and 5.34e12 (PyTorch's answer)."""
    mv.set_kernels(mode)
    try:
        lv = mv.tensor(np.array([[-30.0, 30.0]]), requires_grad=True, dtype=np.float64)
        _, kl = F.reparameterize_kl(mv.tensor(np.zeros((1, 2)), dtype=np.float64), lv,
                                    mv.tensor(np.zeros((1, 2)), dtype=np.float64))
        kl.sum().backward()
        np.testing.assert_allclose(lv.grad.numpy(), [[0.5 * np.expm1(-30.0), 0.5 * np.expm1(30.0)]], rtol=1e-12)
    finally:
        mv.set_kernels("fast")
