"""Priors p(z) that an adversarial autoencoder's codes are matched to (Makhzani et al. 2016):
a 2-D standard Gaussian, a mixture of 10 Gaussians on a circle, and a swiss roll. Each
draws ``(n, 2)`` samples, and the mixture can say which component a sample came from."""
import numpy as np

from .. import backend


def gaussian(n, generator=None):
    return (generator or backend.default_generator()).normal((n, 2))


def mixture_of_gaussians(n, components=10, radius=4.0, std=0.5, generator=None, labels=None):
    """Gaussians centred on a circle; ``labels`` fixes the component of each sample."""
    rng = generator or backend.default_generator()
    k = rng.integers(components, n) if labels is None else np.asarray(labels) % components
    angle = 2 * np.pi * k / components
    centre = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return (centre + std * rng.normal((n, 2), dtype=np.float64)).astype(backend.DEFAULT_DTYPE)


def swiss_roll(n, noise=0.05, generator=None):
    rng = generator or backend.default_generator()
    t = 1.5 * np.pi * (1 + 2 * rng.uniform((n,), dtype=np.float64))
    x = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0
    return (x + noise * rng.normal((n, 2), dtype=np.float64)).astype(backend.DEFAULT_DTYPE)


def component_of(z, components=10, radius=4.0):
    """The index of the mixture component nearest each point."""
    angle = 2 * np.pi * np.arange(components) / components
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return np.argmin(((np.asarray(z)[:, None, :] - centres) ** 2).sum(-1), axis=1)


PRIORS = {"gaussian": gaussian, "mixture": mixture_of_gaussians, "swiss_roll": swiss_roll}
