"""The first lecture's 1-D toy, where the latent-variable integral can be done by hand:

    p(z) = N(0, 1),   p(x|z) = N(x; theta z, sigma^2)
    p(x) = int p(x|z) p(z) dz = N(x; 0, theta^2 + sigma^2)

fitted to data from p_data(x) = N(0, beta^2). The model equals the data only at
theta = beta with sigma = 0; for any sigma <= beta, maximum likelihood reaches it anyway
with theta^2 = beta^2 - sigma^2, and past sigma = beta nothing can: the noise alone is wider
than the data, which is the blur a too-large sigma gives samples.

Its many-dimensional form, p(z) = N(0, I) and p(x|z) = N(x; z W + b, sigma^2 I), has an exact
posterior too (``exact_posterior``), so the ELBO's gap can be computed rather than bounded:

    log p(x) - ELBO(q) = KL(q(z|x) || p(z|x))     (``elbo_gap``)

and when q(z|x) is p(z|x), every single draw's log p(x, z) - log q(z|x) is log p(x).
"""
import math

import numpy as np
from scipy import stats

from .. import backend, functional as F
from ..nn import Parameter
from .base import Model


class LinearGaussian(Model):
    has_encoder = False
    x_dim = z_dim = 1

    def __init__(self, theta=0.5, sigma=0.1, generator=None):
        super().__init__(generator)
        if not sigma >= 0:
            raise ValueError(f"LinearGaussian: sigma must be a non-negative number, got {sigma!r}")
        self.sigma = float(sigma)
        self.theta = Parameter(np.array([theta], np.float32))

    def log_marginal(self, x):
        """log p(x) = log N(x; 0, theta^2 + sigma^2), for x of shape (n, 1): shape (n,)."""
        variance = self.theta * self.theta + self.sigma ** 2
        return ((x * x / variance + F.log(variance)) * -0.5 - 0.5 * math.log(2 * math.pi)).sum(-1)

    def loss(self, x, y=None):
        nll = -self.log_marginal(self.as_input(x)).mean()
        return nll, {"nll": nll}

    def sample(self, n, y=None):
        z, noise = (np.asarray(backend.to_device(self.generator.normal((n, 1)), "cpu")) for _ in range(2))
        return z * self.theta.numpy() + self.sigma * noise

    def encode(self, x, y=None):
        raise NotImplementedError("LinearGaussian: the toy's posterior is never needed; its marginal is exact")


def best_theta(beta, sigma):
    """The maximum-likelihood theta on data N(0, beta^2): sqrt(beta^2 - sigma^2), or 0 when
    sigma >= beta (the model is then as narrow as it can be, and still too wide)."""
    return math.sqrt(max(beta * beta - sigma * sigma, 0.0))


def kl_gaussians(beta, scale):
    """KL(N(0, beta^2) || N(0, scale^2)): zero only when scale = beta."""
    return math.log(scale / beta) + beta * beta / (2 * scale * scale) - 0.5


def exact_posterior(W, b, sigma, x):
    """p(z|x) = N(m(x), C) and log p(x) for p(z) = N(0, I), p(x|z) = N(z W + b, sigma^2 I),
    W of shape (z_dim, x_dim), x of shape (n, x_dim): (m (n, z_dim), C (z_dim, z_dim), log p(x) (n,)).
    C = (I + W W^T / sigma^2)^-1, m = (x - b) W^T C / sigma^2, p(x) = N(b, W^T W + sigma^2 I)."""
    W, b, x = (np.asarray(a, np.float64) for a in (W, b, x))
    C = np.linalg.inv(np.eye(len(W)) + W @ W.T / sigma ** 2)
    log_px = stats.multivariate_normal(b, W.T @ W + sigma ** 2 * np.eye(W.shape[1])).logpdf(x)
    return (x - b) @ W.T @ C / sigma ** 2, C, np.atleast_1d(log_px)


def elbo_gap(mu, logvar, m, C):
    """KL(q || p) for q = N(mu, diag(exp(logvar))) (rows) and p = N(m, C) (rows of m, one C):
    log p(x) - ELBO, per row."""
    mu, var, m = np.asarray(mu, np.float64), np.exp(np.asarray(logvar, np.float64)), np.asarray(m, np.float64)
    P = np.linalg.inv(C)
    d = m - mu
    return 0.5 * (var @ np.diag(P) + np.einsum("ni,ij,nj->n", d, P, d) - mu.shape[1]
                  + np.linalg.slogdet(C)[1] - np.log(var).sum(1))
