"""The masked autoencoder: hide a random fraction of the input entries, reconstruct the
whole input, and score only the hidden entries. Trained so, it fills holes (inpainting)."""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP
from .autoencoder import AutoencoderBase
from .likelihood import Likelihood


class MaskedAutoencoder(AutoencoderBase):
    """The encoder sees the visible entries (hidden ones set to 0) and the mask itself."""

    def __init__(self, x_dim, z_dim=16, hidden=(64,), mask_ratio=0.5, activation="relu",
                 likelihood="gaussian", batchnorm=False, generator=None):
        super().__init__()
        self.x_dim, self.z_dim, self.mask_ratio = x_dim, z_dim, mask_ratio
        self.encoder = MLP([2 * x_dim, *hidden, z_dim], activation, batchnorm=batchnorm, generator=generator)
        self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def decode(self, z, y=None):
        return self.decoder(z)

    def encode(self, x, y=None, visible=None):
        visible = backend.array_module(self.device).ones(x.shape, np.float32) if visible is None else visible
        return self.encoder(F.concat([x * visible, self.constant(visible)], axis=1))

    def loss(self, x, y=None):
        x = self.as_input(x)
        visible = (backend.default_generator(self.device).uniform(x.shape) >= self.mask_ratio).astype(np.float32)
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
