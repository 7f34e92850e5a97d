import math

import numpy as np
import pytest
from scipy import integrate, stats

import minivae as mv
from minivae.models.linear_gaussian import LinearGaussian, best_theta, kl_gaussians


@pytest.mark.parametrize("theta, sigma", [(0.7, 0.3), (1.5, 0.05), (0.0, 1.2)])
def test_the_marginal_is_the_integral_over_the_latent(theta, sigma):
    """log p(x) = log int N(x; theta z, sigma^2) N(z; 0, 1) dz, the integral done numerically."""
    model = LinearGaussian(theta=theta, sigma=sigma)
    x = np.array([[-1.7], [0.0], [0.4], [2.2]], np.float32)
    got = model.log_marginal(mv.tensor(x)).numpy()
    for xi, g in zip(x[:, 0], got):
        integral = integrate.quad(lambda z: stats.norm.pdf(xi, theta * z, sigma) * stats.norm.pdf(z), -12, 12,
                                  points=[0.0], limit=200)[0]
        assert g == pytest.approx(math.log(integral), rel=1e-4, abs=1e-4)


def test_maximum_likelihood_reaches_the_data_only_while_sigma_is_below_beta():
    """The loss's gradient in theta vanishes at sqrt(beta^2 - sigma^2) (the data's own beta),
    and the KL there is zero; past sigma = beta the best theta is 0 and the KL stays."""
    x = np.random.default_rng(0).normal(0, 1.3, (500, 1))
    beta = float(np.sqrt((x ** 2).mean()))
    for sigma in (0.0, 0.6, 1.2):
        theta = best_theta(beta, sigma)
        model = LinearGaussian(theta=theta, sigma=sigma)
        model.theta.data = model.theta.data.astype(np.float64)
        (g,) = mv.grad(model.loss(mv.tensor(x))[0], [model.theta])
        assert abs(float(g.numpy()[0])) < 1e-6
        assert kl_gaussians(beta, math.hypot(theta, sigma)) == pytest.approx(0.0, abs=1e-12)
    assert best_theta(beta, 1.5) == 0.0 and kl_gaussians(beta, 1.5) > 0.01
    np.testing.assert_allclose(kl_gaussians(1.0, 2.0), math.log(2) + 1 / 8 - 0.5)
    with pytest.raises(ValueError, match="sigma must be"):
        LinearGaussian(sigma=-0.1)


def _linear_vae(W, b, mean_map, logvar, kl="analytic"):
    """A VAE whose decoder is x = z W + b + 0.5 noise and whose encoder gives q(z|x) =
    N((x - b) A, diag(exp(logvar))), A = ``mean_map``."""
    model = mv.models.VAE(W.shape[1], W.shape[0], hidden=(), sigma=0.5, kl=kl)
    model.decoder[0].weight.data, model.decoder[0].bias.data = W.astype(np.float32), b.astype(np.float32)
    model.encoder[0].weight.data = np.concatenate([mean_map, np.zeros_like(mean_map)], 1).astype(np.float32)
    model.encoder[0].bias.data = np.concatenate([-b @ mean_map, logvar]).astype(np.float32)
    return model


def _single_draw_elbos(model, x, draws):
    """``draws`` one-draw estimates of the ELBO for each row of x: (len(x), draws)."""
    with mv.no_grad():
        recon, kl = model.elbo_terms(mv.tensor(np.repeat(x, draws, axis=0).astype(np.float32)))
    return -(recon + kl).numpy().astype(np.float64).reshape(len(x), draws)


def test_the_elbos_gap_is_the_kl_from_q_to_the_true_posterior():
    """log p(x) - ELBO = KL(q(z|x) || p(z|x)) (lectures 000, 001, 004), on a linear-Gaussian
    model whose p(x) and p(z|x) are exact and a q with the right mean map and the wrong
    variances: the gap measured by Monte Carlo is the KL computed in closed form. Swapped
    for the KL to the prior, the gap would be off by nats."""
    from minivae.models.linear_gaussian import elbo_gap, exact_posterior
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((2, 6)), rng.standard_normal(6)
    x = rng.standard_normal((5, 6)) * 2 + b
    m, C, log_px = exact_posterior(W, b, 0.5, x)
    A = W.T @ C / 0.25
    np.testing.assert_allclose(m, (x - b) @ A)
    for logvar in (np.log(np.diag(C)) + 0.5, np.log(np.diag(C)) - 1.0, np.array([0.3, -0.2])):
        mv.manual_seed(1)
        model = _linear_vae(W, b, A, logvar)
        elbos = _single_draw_elbos(model, x, 20000)
        gap = elbo_gap(m, np.tile(logvar, (5, 1)), m, C)
        se = elbos.std(1) / np.sqrt(elbos.shape[1])
        assert np.all(gap > 0.05)
        np.testing.assert_array_less(np.abs(log_px - elbos.mean(1) - gap), 4 * se + 2e-3)
        kl_to_prior = 0.5 * (np.exp(logvar).sum() + (m ** 2).sum(1) - 2 - logvar.sum())
        assert np.all(np.abs(kl_to_prior - gap) > 0.5)


def test_with_q_the_true_posterior_one_draw_gives_log_px_exactly():
    """When q(z|x) = p(z|x), log p(x, z) - log q(z|x) = log p(x) for every z: one draw of the
    sampled-KL ELBO is exact, no averaging; with any other q the draws scatter below it."""
    from minivae.models.linear_gaussian import exact_posterior
    rng = np.random.default_rng(2)
    W = np.linalg.qr(rng.standard_normal((6, 2)))[0].T * np.array([[2.0], [0.7]])   # W W^T diagonal
    b = rng.standard_normal(6)
    x = rng.standard_normal((5, 6)) * 2 + b
    m, C, log_px = exact_posterior(W, b, 0.5, x)
    np.testing.assert_allclose(C, np.diag(np.diag(C)), atol=1e-12)     # a diagonal q can be exact
    A = W.T @ C / 0.25
    mv.manual_seed(3)
    exact = _single_draw_elbos(_linear_vae(W, b, A, np.log(np.diag(C)), kl="sample"), x, 200)
    np.testing.assert_allclose(exact, np.repeat(log_px[:, None], 200, 1), atol=2e-3)
    mv.manual_seed(3)
    off = _single_draw_elbos(_linear_vae(W, b, A, np.log(np.diag(C)) + 0.5, kl="sample"), x, 200)
    assert np.all(off.std(1) > 0.1) and np.all(off.mean(1) < log_px - 0.02)
