from .. import functional as F
from .autoencoder import Autoencoder


class SparseAutoencoder(Autoencoder):
    """Reconstruction plus an L1 penalty on the code: loss = recon + lam * sum_j |z_j|."""

    def __init__(self, x_dim, z_dim=16, hidden=(64,), lam=1e-2, **kwargs):
        super().__init__(x_dim, z_dim, hidden, **kwargs)
        self.lam = lam

    def loss(self, x, y=None):
        x = self.as_input(x)
        z = self.encode(x)
        recon = self.reconstruction_error(x, z).mean()
        sparsity = F.abs(z).sum(-1).mean()
        return recon + sparsity * self.lam, {"recon": recon, "sparsity": sparsity}
