"""The conditional VAE (Sohn et al. 2015): the condition y (a class, one-hot) goes into both
the encoder q(z|x, y) and the decoder p(x|z, y), so that sampling can ask for a class and
the code is free to hold what the class does not say."""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from .vae import VAE


class ConditionalVAE(VAE):
    labels = "required"

    def __init__(self, x_dim, n_classes, z_dim=2, **kwargs):
        self.n_classes = n_classes
        super().__init__(x_dim, z_dim, **kwargs)

    def encoder_in(self):
        return self.x_dim + self.n_classes

    def decoder_in(self):
        return self.z_dim + self.n_classes

    def condition(self, y, n):
        """The one-hot condition of n examples of classes ``y``, checked."""
        return self.one_hot(self.class_labels(y, n), self.n_classes)

    def encode(self, x, y=None):
        return super().encode(F.concat([x, self.condition(y, x.shape[0])], axis=1))

    def decode(self, z, y=None):
        return self.decoder(F.concat([z, self.condition(y, z.shape[0])], axis=1))

    def sample(self, n, y=None):
        """n samples of class y (one label for all, or one per sample); without y, each
        sample's class drawn uniformly."""
        if y is None:
            y = np.asarray(backend.to_device(self.generator.integers(self.n_classes, n), "cpu"))
        y = np.full(n, y) if np.ndim(y) == 0 else np.asarray(y)
        return super().sample(n, y)

    def complete(self, x, visible, y, steps=20):
        """Fill the hidden entries of x (visible == 0): alternate between reconstructing
        from the current guess and keeping the observed entries (the lecture's hole filling)."""
        with no_grad():
            x = np.asarray(x, np.float32)
            visible = np.asarray(visible, np.float32)
            guess = visible * x + (1 - visible) * x[visible.astype(bool)].mean()
            for _ in range(steps):
                guess = visible * x + (1 - visible) * self.reconstruct(guess, y)
            return guess
