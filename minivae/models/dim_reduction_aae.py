"""Dimensionality reduction with an adversarial autoencoder (Makhzani et al. 2016, Sec. 7,
Fig. 10): the clustering AAE's two codes, a categorical y pushed to one-hot draws and a
style z pushed to N(0, I), made into one n-dimensional representation

    r = y H + z,    H (n_clusters x n) the learned cluster heads,

which the decoder reads. The heads are kept apart by a cost on every two of them closer
than eta,

    Omega(H) = sum_{i<j} max(0, eta - ||h_i - h_j||),

added to the autoencoder's loss, so that the clusters' styles do not overlap in r. ``code``
is r: the reduced data.
"""
import numpy as np

from .. import backend, functional as F
from ..nn import Parameter
from .clustering_aae import ClusteringAAE


class DimensionReductionAAE(ClusteringAAE):
    pictures = ("latent", "samples", "reconstructions")

    def __init__(self, x_dim, n_clusters=10, z_dim=2, eta=6.0, head_weight=1.0, **kwargs):
        if not eta > 0 or head_weight < 0:
            raise ValueError(f"DimensionReductionAAE: eta must be positive and head_weight not negative, got "
                             f"{eta} and {head_weight}")
        self.eta, self.head_weight = eta, head_weight
        super().__init__(x_dim, n_clusters, z_dim, **kwargs)
        # drawn at the penalty's own scale: Adam moves a head about lr a step, so heads drawn
        # from N(0, I) were still within 2 of each other after 5 MNIST epochs (eta 6), the
        # clusters' styles overlapping
        start = eta * np.asarray(backend.to_device(self.generator.normal((n_clusters, z_dim)), "cpu"))
        self.cluster_heads = Parameter(start)

    def decoder_width(self):
        return self.z_dim

    def representation(self, cat, z):
        """r = y H + z."""
        return cat @ self.cluster_heads + z

    def head_penalty(self):
        """sum over pairs i < j of max(0, eta - ||h_i - h_j||)."""
        h = self.cluster_heads
        diff = F.expand_dims(h, 0) - F.expand_dims(h, 1)                  # (K, K, n)
        distance = F.sqrt((diff * diff).sum(-1) + 1e-12)
        upper = self.constant(np.triu(np.ones((self.n_clusters,) * 2, np.float32), 1))
        return (F.relu(self.eta - distance) * upper).sum()

    def code(self, x, y=None):
        """The reduced representation r = y H + z."""
        return self.representation(*self.heads(x))

    def players(self):
        players = super().players()
        players["autoencoder"] = players["autoencoder"] + [self.cluster_heads]
        return players

    def losses(self, x, y=None, player=None):
        out = super().losses(x, y, player)
        if "autoencoder" in out:
            out["autoencoder"] = out["autoencoder"] + self.head_penalty() * self.head_weight
        return out
