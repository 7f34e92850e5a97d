import numpy as np

from ..nn import Parameter, init
from .autoencoder import AutoencoderBase
from .likelihood import Likelihood


class LinearAutoencoder(AutoencoderBase):
    """z = (x - b) W, x' = z W^T + b, with tied weights W (x_dim, z_dim) and squared error.
    Its optimum spans the top-z_dim principal subspace of the data (Baldi & Hornik 1989)."""

    def __init__(self, x_dim, z_dim=2, generator=None):
        super().__init__(generator)
        self.x_dim, self.z_dim = x_dim, z_dim
        self.W = Parameter(init.glorot_uniform((x_dim, z_dim), generator=generator))
        self.b = Parameter(np.zeros(x_dim, np.float32))
        self.likelihood = Likelihood("gaussian", x_dim, sigma=1.0)

    def encode(self, x, y=None):
        return (x - self.b) @ self.W

    def decode(self, z, y=None):
        return z @ self.W.T + self.b
