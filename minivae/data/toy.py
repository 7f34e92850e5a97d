"""The lectures' toy data, as float32 arrays (and labels where the data has them)."""
import numpy as np


def ring(n, seed=0, dtype=np.float32):
    """x = z/2 + z/|z|, z ~ N(0, I_2): a ring of radius about 1 that a 2-D Gaussian latent
    must bend into shape. A zero draw of z (probability zero) would be undefined."""
    z = np.random.default_rng(seed).standard_normal((n, 2))
    return (z / 2 + z / np.linalg.norm(z, axis=1, keepdims=True)).astype(dtype)


def gaussian_bump(n, dim=32, width=2.0, seed=0):
    """A 1-D Gaussian bump on ``dim`` pixels whose centre is the hidden variable: the data
    lies on a 1-D curve in ``dim`` dimensions. Returns (x, centres)."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, dim - 1, n)
    grid = np.arange(dim)
    x = np.exp(-0.5 * ((grid[None, :] - centre[:, None]) / width) ** 2)
    return x.astype(np.float32), centre.astype(np.float32)


def swiss_roll(n, noise=0.05, seed=0):
    """A 2-D spiral; the label is the position along it (0..9)."""
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    x = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0 + noise * rng.standard_normal((n, 2))
    return x.astype(np.float32), ((t - t.min()) / np.ptp(t) * 9.999).astype(np.int64)


def mixture(n, components=10, radius=4.0, std=0.5, seed=0):
    """A mixture of Gaussians on a circle; the label is the component."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, components, n)
    angle = 2 * np.pi * y / components
    x = radius * np.stack([np.cos(angle), np.sin(angle)], 1) + std * rng.standard_normal((n, 2))
    return x.astype(np.float32), y


def pinwheel(n, arms=5, radial_std=0.3, tangential_std=0.05, rate=0.25, seed=0):
    """The pinwheel of Johnson et al. (2016): arms that curl more the further out they go."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, arms, n)
    x = rng.standard_normal((n, 2)) * [radial_std, tangential_std] + [1.0, 0.0]
    angle = 2 * np.pi * y / arms + rate * np.exp(x[:, 0])
    c, s = np.cos(angle), np.sin(angle)
    rotated = np.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], 1)
    return (2 * rotated).astype(np.float32), y
