"""The masked autoencoder: hide part of the input, reconstruct the whole input, and score
only the hidden entries,

    L = sum_j m_j l(x_j, x^_j) / sum_j m_j,   x^ = g(f(x * (1 - m), 1 - m)),   m_j = 1 where hidden,

so that it learns to fill what it cannot see (inpainting). What is hidden is what it learns
to fill: ``mask="pixels"`` hides each entry at random with probability ``mask_ratio``, which
neighbouring pixels alone can fill; ``mask="blocks"`` hides one rectangle of each image
(the lecture's "hide parts of the image"), which only knowledge of the shapes can fill: each
side a fraction of the image's drawn uniformly from sqrt(mask_ratio) [1/2, 3/2] (at most
all of it), so that about ``mask_ratio`` of the image is hidden."""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP
from .autoencoder import AutoencoderBase
from .conv import image_shape_of
from .likelihood import Likelihood

MASKS = ("pixels", "blocks")


class MaskedAutoencoder(AutoencoderBase):
    """The encoder sees the visible entries (hidden ones set to 0) and the mask itself."""

    def __init__(self, x_dim, z_dim=16, hidden=(64,), mask_ratio=0.5, activation="relu",
                 likelihood="gaussian", batchnorm=False, mask="pixels", image_shape=None, generator=None):
        super().__init__(generator)
        if mask not in MASKS:
            raise ValueError(f"MaskedAutoencoder: mask must be one of {', '.join(MASKS)}, got {mask!r}")
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"MaskedAutoencoder: mask_ratio must lie in (0, 1), got {mask_ratio!r}")
        self.x_dim, self.z_dim, self.mask_ratio, self.mask = x_dim, z_dim, mask_ratio, mask
        self.image_shape = image_shape_of(x_dim, image_shape, "MaskedAutoencoder") if mask == "blocks" else None
        self.encoder = MLP([2 * x_dim, *hidden, z_dim], activation, batchnorm=batchnorm, generator=generator)
        self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def encode(self, x, y=None, visible=None):
        visible = backend.array_module(self.device).ones(x.shape, np.float32) if visible is None else visible
        return self.encoder(F.concat([x * visible, self.constant(visible)], axis=1))

    def hide(self, n):
        """A fresh mask, 1 where an entry stays visible: (n, x_dim) float32."""
        generator = self.generator
        if self.mask == "pixels":
            return (generator.uniform((n, self.x_dim)) >= self.mask_ratio).astype(np.float32)
        xp = backend.array_module(self.device)
        c, h, w = self.image_shape
        side = np.sqrt(self.mask_ratio) * (generator.uniform((n, 2)) + 0.5)
        size = xp.minimum(side, 1.0) * xp.asarray([h, w], np.float32)
        start = generator.uniform((n, 2)) * (xp.asarray([h, w], np.float32) - size)
        rows, cols = xp.arange(h, dtype=np.float32) + 0.5, xp.arange(w, dtype=np.float32) + 0.5
        inside = (((rows >= start[:, :1]) & (rows < start[:, :1] + size[:, :1]))[:, :, None]
                  & ((cols >= start[:, 1:]) & (cols < start[:, 1:] + size[:, 1:]))[:, None, :])
        return xp.broadcast_to(~inside[:, None], (n, c, h, w)).reshape(n, self.x_dim).astype(np.float32)

    def loss(self, x, y=None):
        x = self.as_input(x)
        visible = self.hide(x.shape[0])
        hidden = 1.0 - visible
        out = self.decode(self.encode(x, visible=visible))
        if self.likelihood.kind == "bernoulli":
            error = F.bce_with_logits(out, x, reduction="none")
        else:
            error = (out - x) ** 2 * 0.5
        recon = ((error * hidden).sum(-1) / backend.array_module(self.device).maximum(hidden.sum(-1), 1.0)).mean()
        return recon, {"recon_hidden": recon}

    def inpaint(self, x, visible):
        """x with its hidden entries (visible == 0) filled in by the model."""
        with no_grad():
            x = np.asarray(x, np.float32)
            visible = np.asarray(visible, np.float32)
            out = self.data_mean(self.decode(self.encode(self.as_input(x), visible=visible))).numpy()
            return visible * x + (1 - visible) * out
