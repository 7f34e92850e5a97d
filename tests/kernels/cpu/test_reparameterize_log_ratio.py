import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import TOL, arrays, assert_paths_agree, both_paths, dtypes, matrices

LOG_2PI = math.log(2 * math.pi)


@given(st.integers(1, 4), st.integers(1, 9), st.integers(1, 9), dtypes, st.data())
def test_kernel_matches_reference(k, n, d, dtype, data):
    mu, lv = (data.draw(matrices(n, d, dtype, -3, 3)) for _ in range(2))
    eps = data.draw(arrays((k, n, d), -3, 3)).astype(dtype)
    results = both_paths(F.reparameterize_log_ratio, mu, lv, eps)
    assert_paths_agree(results, **TOL[dtype])


def test_values_are_the_log_densities_and_gradients_check():
    """z = mu + sigma eps, and the ratio is log N(z; 0, I) - log N(z; mu, sigma^2) computed
    from z itself; every gradient, eps's included, against finite differences."""
    rng = np.random.default_rng(0)
    mu, lv, eps = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4))
    z, ratio = F.reparameterize_log_ratio(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, eps)))
    zz = mu + np.exp(lv / 2) * eps
    np.testing.assert_allclose(z.numpy(), zz, rtol=1e-12)
    log_p = -0.5 * (zz ** 2 + LOG_2PI).sum(-1)
    log_q = -0.5 * ((zz - mu) ** 2 / np.exp(lv) + lv + LOG_2PI).sum(-1)
    np.testing.assert_allclose(ratio.numpy(), log_p - log_q, rtol=1e-10)
    for mode in ("fast", "reference"):
        mv.set_kernels(mode)
        try:
            f = lambda m, l, e: F.reparameterize_log_ratio(m, l, e)
            assert gradcheck(f, mu, lv, eps) and gradgradcheck(f, mu, lv, eps)
        finally:
            mv.set_kernels("fast")


def test_its_mean_over_samples_is_minus_the_kl():
    """E_q[log p(z) - log q(z|x)] = -KL(q || p): the Monte Carlo estimate of what
    reparameterize_kl gives in closed form."""
    rng = np.random.default_rng(1)
    mu, lv = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)) * 0.5
    eps = rng.standard_normal((200_000, 2, 3))
    _, ratio = F.reparameterize_log_ratio(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, eps)))
    _, kl = F.reparameterize_kl(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, np.zeros((2, 3)))))
    np.testing.assert_allclose(ratio.numpy().mean(0), -kl.numpy(), atol=0.02)


def test_one_sample_per_input_takes_eps_of_mu_s_shape():
    rng = np.random.default_rng(2)
    mu, lv, eps = (rng.standard_normal((5, 3)) for _ in range(3))
    z, ratio = F.reparameterize_log_ratio(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, eps)))
    z3, ratio3 = F.reparameterize_log_ratio(*(mv.tensor(a, dtype=np.float64) for a in (mu, lv, eps[None])))
    assert z.shape == (5, 3) and ratio.shape == (5,)
    np.testing.assert_array_equal(z.numpy(), z3.numpy()[0])
    np.testing.assert_array_equal(ratio.numpy(), ratio3.numpy()[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logvar_is_clamped_as_clip_is(dtype):
    mu = np.zeros((2, 3), dtype)
    lv = np.array([[100.0, -100.0, 0.0], [29.0, -29.0, 30.0]], dtype)
    eps = np.ones((2, 2, 3), dtype)
    results = both_paths(F.reparameterize_log_ratio, mu, lv, eps)
    assert_paths_agree(results, rtol=1e-5)
    (z, ratio), (gmu, glv, geps) = results["fast"]
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(ratio)) and np.all(np.isfinite(glv))
    assert glv[0, 0] == glv[0, 1] == 0.0 and glv[1, 2] != 0.0   # outside the clamp no gradient; at its edge one


def test_shapes_that_do_not_fit_are_refused():
    t = lambda *s: mv.tensor(np.ones(s))
    with pytest.raises(ValueError, match="reparameterize_log_ratio: mu"):
        F.reparameterize_log_ratio(t(2, 3), t(2, 3), t(4, 3, 2))
    with pytest.raises(ValueError, match="reparameterize_log_ratio: mu"):
        F.reparameterize_log_ratio(t(2, 3), t(3, 2), t(2, 3))
