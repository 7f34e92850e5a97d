"""Autoencoders: x -> encoder -> code z -> decoder -> x', trained to reconstruct x.

With a code as wide as the data, nothing stops the plain autoencoder from "cheating" by
copying; the variants in this package each add a pressure that makes the code useful.
"""
from ..nn import MLP
from .base import Model
from .likelihood import Likelihood


class AutoencoderBase(Model):
    """Reconstruction error -log p(x|x') under the chosen likelihood: squared error
    (Gaussian, fixed sigma 1) or cross-entropy (Bernoulli). Subclasses give encode/decode."""

    def reconstruction_error(self, x, z):
        """-log p(x | decode(z)) per example."""
        return -self.likelihood.log_prob(x, self.decode(z))

    def loss(self, x, y=None):
        x = self.as_input(x)
        recon = self.reconstruction_error(x, self.encode(x)).mean()
        return recon, {"recon": recon}

    def sample(self, n, y=None):
        """Decodes codes drawn from N(0, I). An autoencoder puts no prior on its codes, so
        these are not samples of anything: the gap the VAE closes."""
        return super().sample(n, y)


class Autoencoder(AutoencoderBase):
    """The deep MLP autoencoder; ``code_activation`` squashes the code (none by default)."""

    def __init__(self, x_dim, z_dim=2, hidden=(64,), activation="relu", likelihood="gaussian",
                 code_activation=None, batchnorm=False, generator=None):
        super().__init__(generator)
        self.x_dim, self.z_dim = x_dim, z_dim
        self.encoder = MLP([x_dim, *hidden, z_dim], activation, out_activation=code_activation, batchnorm=batchnorm,
                           generator=generator)
        self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def encode(self, x, y=None):
        return self.encoder(x)
