"""The decoder's likelihood p(x|z), per example: Bernoulli on logits for binary data, or a
diagonal Gaussian around the decoder's mean with a fixed or a learned log-variance."""
import numpy as np

from .. import backend, functional as F
from ..nn import Module, Parameter

LIKELIHOODS = ("bernoulli", "gaussian")


class Likelihood(Module):
    """log p(x | decoder output), summed over data dimensions. A learned log-variance is
    a parameter of this module, so it trains with the model that holds it."""

    def __init__(self, kind, x_dim, sigma=None):
        super().__init__()
        if kind not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {kind!r}")
        self.kind = kind
        # a learned per-dimension log-variance unless a fixed sigma is given
        self.logvar = (None if kind == "bernoulli" else
                       float(2 * np.log(sigma)) if sigma is not None else
                       Parameter(np.zeros(x_dim, backend.DEFAULT_DTYPE)))

    def log_prob(self, x, out):
        if self.kind == "bernoulli":
            return -F.bce_with_logits(out, x, reduction="rows")
        return -F.gaussian_nll(x, out, self.logvar, reduction="rows")

    def mean(self, out):
        return F.sigmoid(out) if self.kind == "bernoulli" else out

    def draw(self, mean, generator):
        """Draws x ~ p(x|z) from its mean (a NumPy array): 0/1 values for a Bernoulli,
        mean + sigma * noise for a Gaussian."""
        if self.kind == "bernoulli":
            return generator.bernoulli(mean, dtype=mean.dtype)
        logvar = self.logvar if isinstance(self.logvar, float) else self.logvar.numpy()
        return mean + np.exp(0.5 * np.asarray(logvar, mean.dtype)) * generator.normal(mean.shape, dtype=mean.dtype)
