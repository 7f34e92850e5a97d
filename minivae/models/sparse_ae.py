from .. import functional as F
from .autoencoder import Autoencoder

PENALTIES = ("l1", "units")


class SparseAutoencoder(Autoencoder):
    """Reconstruction plus a sparsity penalty on the code: loss = recon + lam * Omega(z).

    ``penalty="l1"``: Omega = sum_j |z_j|, each example's code sparse. The decoder can undo
    any scale, so this is paid for by shrinking every code and growing the decoder, and no
    unit need fall silent.

    ``penalty="units"``: Omega = sum_j r_j / ||r||_2 - 1, with r_j the root mean square of
    unit j over the batch: 0 when one unit carries the code's size, sqrt(d_z) - 1 when all
    carry it alike, and blind to a common scale, so it is lowered only by making some units
    small beside the others (group sparsity, Hoyer's measure over units).

    Neither switches a unit off: a decoder reads a unit at any scale (the figure
    ``sparse-ae-codes``)."""

    def __init__(self, x_dim, z_dim=16, hidden=(64,), lam=1e-2, penalty="l1", **kwargs):
        if penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {', '.join(PENALTIES)}; got {penalty!r}")
        super().__init__(x_dim, z_dim, hidden, **kwargs)
        self.lam, self.penalty = lam, penalty

    def sparsity(self, z):
        if self.penalty == "l1":
            return F.abs(z).sum(-1).mean()
        r = F.sqrt((z * z).mean(0) + 1e-12)
        return r.sum() / F.sqrt((r * r).sum()) - 1

    def loss(self, x, y=None):
        x = self.as_input(x)
        z = self.encode(x)
        recon = self.reconstruction_error(x, z).mean()
        sparsity = self.sparsity(z)
        return recon + sparsity * self.lam, {"recon": recon, "sparsity": sparsity}
