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
