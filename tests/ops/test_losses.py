import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.stats import norm

import minivae as mv
import minivae.functional as F
from strategies import arrays, check

pair = st.tuples(st.integers(1, 4), st.integers(1, 5))


@given(arrays(pair, -6, 6), st.data(), st.sampled_from(["mean", "sum", "none"]))
def test_bce_with_logits(l, data, reduction):
    t = data.draw(arrays(l.shape, 0, 1))
    p = 1 / (1 + np.exp(-l))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    check(lambda a, b: F.bce_with_logits(a, b, reduction), lambda a, b: reduce(ref), l, t)


def test_bce_with_logits_extreme_logits():
    l = mv.tensor([-1e4, 1e4, -1e4, 1e4], requires_grad=True)
    t = mv.tensor([0.0, 1.0, 1.0, 0.0])
    loss = F.bce_with_logits(l, t, "none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(l.grad.numpy(), [0.0, 0.0, -1.0, 1.0])   # sigma(l) - t


@given(arrays(pair), st.data())
def test_gaussian_nll_learned_and_fixed(x, data):
    m, lv = data.draw(arrays(x.shape)), data.draw(arrays(x.shape[-1:], -1, 1))
    ref = lambda x, m, lv: -norm.logpdf(x, m, np.exp(lv / 2)).mean()
    check(lambda a, b, c: F.gaussian_nll(a, b, c), ref, x, m, lv)
    check(lambda a, b: F.gaussian_nll(a, b, 0.3, "sum"), lambda a, b: ref(a, b, 0.3) * a.size, x, m)


@given(arrays(pair), st.data())
def test_mse(a, data):
    b = data.draw(arrays(a.shape))
    check(F.mse, lambda a, b: np.mean((a - b) ** 2), a, b)


@given(arrays(pair), st.data())
def test_log_normal(x, data):
    m, lv = data.draw(arrays(x.shape)), data.draw(arrays(x.shape, -1, 1))
    check(F.log_normal, lambda x, m, lv: norm.logpdf(x, m, np.exp(lv / 2)).sum(-1), x, m, lv)


@given(arrays(pair), st.data())
def test_kl_normal(mu, data):
    lv = data.draw(arrays(mu.shape, -2, 2))
    ref = lambda mu, lv: 0.5 * np.sum(np.exp(lv) + mu ** 2 - 1 - lv, -1)
    check(F.kl_normal, ref, mu, lv)


@given(arrays(pair), st.data())
def test_kl_normals(mu_q, data):
    lv_q, mu_p, lv_p = (data.draw(arrays(mu_q.shape, lo, hi)) for lo, hi in ((-2, 2), (-3, 3), (-2, 2)))
    ref = lambda mq, lq, mp, lp: 0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, -1)
    check(F.kl_normals, ref, mu_q, lv_q, mu_p, lv_p)


def test_kl_normals_against_the_standard_normal_is_kl_normal_and_zero_at_itself():
    rng = np.random.default_rng(1)
    mu, lv = mv.tensor(rng.standard_normal((3, 4))), mv.tensor(rng.standard_normal((3, 4)))
    zero = mv.tensor(np.zeros((3, 4)))
    np.testing.assert_allclose(F.kl_normals(mu, lv, zero, zero).numpy(), F.kl_normal(mu, lv).numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.kl_normals(mu, lv, mu, lv).numpy(), 0.0, atol=1e-6)


def test_kl_normal_matches_monte_carlo():
    """KL(q||p) = E_q[log q(z) - log p(z)], estimated with 200k samples."""
    rng = np.random.default_rng(0)
    mu, lv = np.array([[0.5, -1.0, 0.0]]), np.array([[-0.5, 0.3, 1.0]])
    z = mu + np.exp(lv / 2) * rng.standard_normal((200_000, 3))
    log_q = F.log_normal(mv.tensor(z, dtype=np.float64), mv.tensor(np.broadcast_to(mu, z.shape)),
                         mv.tensor(np.broadcast_to(lv, z.shape))).numpy()
    log_p = norm.logpdf(z).sum(-1)
    mc = (log_q - log_p).mean()
    se = (log_q - log_p).std() / math.sqrt(len(z))
    assert abs(F.kl_normal(mv.tensor(mu), mv.tensor(lv)).item() - mc) < 4 * se


def test_loss_shape_mismatch_and_bad_reduction():
    with pytest.raises(ValueError, match=r"mse: shapes \(2,\) and \(3,\) differ"):
        F.mse(mv.tensor([1.0, 2.0]), mv.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"gaussian_nll: shapes \(2, 3\), \(4,\) do not broadcast"):
        F.gaussian_nll(mv.tensor(np.ones((2, 3))), mv.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="reduction must be"):
        F.mse(mv.tensor([1.0]), mv.tensor([1.0]), reduction="avg")


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_bce_mean_over_an_empty_batch_is_nan(mode):
    mv.set_kernels(mode)
    try:
        l = mv.tensor(np.zeros((0, 4)), requires_grad=True)
        loss = F.bce_with_logits(l, mv.tensor(np.zeros((0, 4))), "mean")
        assert np.isnan(loss.item())
        loss.backward()
        assert l.grad.shape == (0, 4)
    finally:
        mv.set_kernels("fast")


@pytest.mark.parametrize("mode", ["fast", "reference"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_at_an_infinite_logit_is_infinite_not_nan(mode, dtype):
    """A logit of +inf against target 0 (and -inf against 1) costs +inf, as in PyTorch;
    its gradient sigmoid(l) - t is +-1."""
    mv.set_kernels(mode)
    try:
        l = mv.tensor(np.array([[np.inf, -np.inf, 3.0]], dtype), requires_grad=True)
        t = mv.tensor(np.array([[0.0, 1.0, 0.0]], dtype))
        loss = F.bce_with_logits(l, t, "none")
        assert loss.numpy()[0, 0] == np.inf and loss.numpy()[0, 1] == np.inf
        np.testing.assert_allclose(loss.numpy()[0, 2], np.log1p(np.exp(3.0)), rtol=1e-6)
        loss.sum().backward()
        np.testing.assert_allclose(l.grad.numpy(), [[1.0, -1.0, 1 / (1 + np.exp(-3.0))]], rtol=1e-6)
        assert F.bce_with_logits(l, t, "sum").item() == np.inf
    finally:
        mv.set_kernels("fast")
