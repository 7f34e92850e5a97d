"""The first lecture's toy, where the trouble the VAE solves shows: a latent-variable model
fitted by the naive Monte Carlo estimate of its likelihood, sampling the prior.

    data       x = z/2 + z/|z|,  z ~ N(0, I_2)          (the ring, minivae.data.ring)
    generator  g(z) = alpha z + z/|z|,  p(x|z) = N(x; g(z), sigma^2 I),  sigma = 0.1
    estimate   log p(x) ~= log (1/N_s) sum_s N(x; g(z_s), sigma^2 I),  z_s ~ p(z)

alpha is fitted by maximizing the estimate (the data's alpha is 1/2). With sigma this small,
few of the N_s prior samples land near any x: the estimate of p(x) is noisy, and its noise
falls only as N_s grows (``density`` along a line shows it), which is why the VAE samples
z from an encoder q(z|x) instead.
"""
import math

import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import Parameter
from .base import Model


class NaiveMonteCarlo(Model):
    has_encoder = False
    pictures = ("samples",)   # no encoder: no codes and no reconstructions to draw
    z_dim = 2

    def __init__(self, x_dim=2, alpha=1.0, sigma=0.1, n_samples=1000, generator=None):
        super().__init__(generator)
        if x_dim != 2:
            raise ValueError(f"NaiveMonteCarlo: the lecture's toy is 2-D, got x_dim {x_dim}")
        self.x_dim, self.sigma, self.n_samples = 2, sigma, n_samples
        self.alpha = Parameter(np.array([alpha], np.float32))

    def decode(self, z, y=None):
        """g(z) = alpha z + z / |z|."""
        return z * self.alpha + z / F.sqrt((z * z).sum(-1, keepdims=True))

    def log_density(self, x, n_samples=None):
        """The naive estimate of log p(x), one row of x per point, N_s prior samples shared."""
        n_samples = n_samples or self.n_samples
        z = self.constant(self.generator.normal((n_samples, 2)))
        centres = F.expand_dims(self.decode(z), 0)                                   # (1, N_s, 2)
        log_px_z = F.log_normal(F.expand_dims(x, 1), centres, 2 * math.log(self.sigma))   # (n, N_s)
        return F.logsumexp(log_px_z, axis=1) - math.log(n_samples)

    def loss(self, x, y=None):
        nll = -self.log_density(self.as_input(x)).mean()
        return nll, {"nll": nll}

    def density(self, points, n_samples):
        """The naive estimate of p(x) at ``points`` (an array (m, 2)), as a NumPy array."""
        with no_grad():
            return np.exp(self.log_density(self.as_input(points), n_samples).numpy().astype(np.float64))

    def sample(self, n, y=None):
        with no_grad():
            x = self.decode(self.constant(self.generator.normal((n, 2)))).numpy()
        return x + self.sigma * np.asarray(backend.to_device(self.generator.normal((n, 2)), "cpu"))

    def encode(self, x, y=None):
        raise NotImplementedError("NaiveMonteCarlo: the naive estimate has no encoder; that is its trouble")
