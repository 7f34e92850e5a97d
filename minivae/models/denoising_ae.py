"""The denoising autoencoder (Vincent et al. 2008): reconstruct the clean x from a corrupted
copy, so the code must capture the data's structure rather than copy its input."""
import numpy as np

from .. import backend
from .autoencoder import Autoencoder

CORRUPTIONS = ("gaussian", "masking", "salt_pepper", "blur")


class DenoisingAutoencoder(Autoencoder):
    """``corruption``: "gaussian" (add N(0, level^2)), "masking" (zero each entry with
    probability level), "salt_pepper" (set each entry with probability level to 0 or 1),
    "blur" (Gaussian blur of width level over images of ``image_shape``); or several joined
    by "+", applied left to right with one level each: "gaussian+blur" with level (0.3, 1.0)
    is the lectures' blur(x + eps)."""

    def __init__(self, x_dim, z_dim=16, hidden=(64,), corruption="gaussian", level=0.3,
                 image_shape=None, **kwargs):
        super().__init__(x_dim, z_dim, hidden, **kwargs)
        stages = corruption.split("+") if isinstance(corruption, str) else [corruption]
        if any(c not in CORRUPTIONS for c in stages):
            raise ValueError(f"DenoisingAutoencoder: corruption must be one of {CORRUPTIONS}, or several joined "
                             f"by '+', got {corruption!r}")
        levels = list(level) if isinstance(level, (list, tuple)) else [level] * len(stages)
        if len(levels) != len(stages):
            raise ValueError(f"DenoisingAutoencoder: {len(stages)} corruptions need {len(stages)} levels, got {level}")
        if "blur" in stages and (image_shape is None or int(np.prod(image_shape)) != x_dim):
            raise ValueError(f"DenoisingAutoencoder: blur needs image_shape with {x_dim} pixels, got {image_shape}")
        self.corruption, self.level, self.image_shape = corruption, level, image_shape

    def corrupt(self, x, generator=None):
        """A corrupted copy of the host array ``x``, drawn by ``generator``, else by the model's
        own where it draws on the host (the default one of the CPU where it draws on a GPU)."""
        own = self.generator if self.generator.device == "cpu" else None
        return corrupt(x, self.corruption, self.level, self.image_shape, generator or own)

    def loss(self, x, y=None):
        x = self.as_input(x)
        noisy = self.constant(self.corrupt(x.numpy()))
        recon = self.reconstruction_error(x, self.encode(noisy)).mean()
        return recon, {"recon": recon}


def corrupt(x, corruption="gaussian", level=0.3, image_shape=None, generator=None):
    """A corrupted copy of the array ``x`` (see DenoisingAutoencoder), for any model."""
    stages = corruption.split("+")
    if len(stages) > 1:
        levels = list(level) if isinstance(level, (list, tuple)) else [level] * len(stages)
        for stage, stage_level in zip(stages, levels):
            x = corrupt(x, stage, stage_level, image_shape, generator)
        return x
    rng = generator or backend.default_generator()
    x = np.asarray(x, dtype=np.float32)
    if corruption == "gaussian":
        return x + level * rng.normal(x.shape)
    hit = rng.uniform(x.shape) < level
    if corruption == "masking":
        return np.where(hit, 0.0, x).astype(np.float32)
    if corruption == "salt_pepper":
        return np.where(hit, (rng.uniform(x.shape) < 0.5).astype(np.float32), x)
    images = x.reshape((-1, *image_shape))
    sigma = (0,) + (level,) * len(image_shape)   # blur within each image only
    from scipy.ndimage import gaussian_filter   # imported when used: scipy.* costs the command line's start-up
    return gaussian_filter(images, sigma=sigma).reshape(x.shape).astype(np.float32)
