"""Toy data from the lectures."""
import numpy as np


def ring(n, seed=0, dtype=np.float32):
    """x = z/2 + z/|z|, z ~ N(0, I_2): a ring of radius about 1 that a 2-D Gaussian latent
    must bend into shape. A zero draw of z (probability zero) would be undefined."""
    z = np.random.default_rng(seed).standard_normal((n, 2))
    return (z / 2 + z / np.linalg.norm(z, axis=1, keepdims=True)).astype(dtype)
