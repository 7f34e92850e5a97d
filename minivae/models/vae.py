"""The variational autoencoder (Kingma & Welling 2014).

encoder  q(z|x) = N(mu(x), diag(exp(logvar(x))))
decoder  p(x|z) = N(f(z), diag(exp(logvar_x)))  with a learned per-dimension logvar_x,
                  or Bernoulli(sigmoid(f(z)))
prior    p(z)   = N(0, I)
ELBO     E_q[log p(x|z)] - KL(q(z|x) || p(z)),  maximized; ``loss`` returns -ELBO.
"""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP, Module, Parameter
from ..ops import Tensor


class VAE(Module):
    def __init__(self, x_dim, z_dim=2, hidden=(64, 64), activation="tanh", likelihood="gaussian",
                 beta=1.0, generator=None):
        super().__init__()
        if likelihood not in ("gaussian", "bernoulli"):
            raise ValueError(f"VAE: likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}")
        self.x_dim, self.z_dim, self.likelihood, self.beta = x_dim, z_dim, likelihood, beta
        self.generator = generator or backend.default_generator()
        self.encoder = MLP([x_dim, *hidden, 2 * z_dim], activation, generator=generator)
        self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, generator=generator)
        if likelihood == "gaussian":
            self.logvar_x = Parameter(np.zeros(x_dim, backend.DEFAULT_DTYPE))

    def encode(self, x):
        """The posterior's mean and log-variance."""
        mu, logvar = F.split(self.encoder(x), 2, axis=-1)
        return mu, logvar

    def decode(self, z):
        """The decoder's output: the mean of p(x|z) (Gaussian) or its logits (Bernoulli)."""
        return self.decoder(z)

    def reparameterize(self, mu, logvar):
        """z = mu + sigma * eps, eps ~ N(0, I): a sample that gradients can flow through, and
        KL(q(z|x) || p(z)) per example, in one fused op."""
        eps = self.generator.normal(mu.shape, dtype=mu.dtype)
        return F.reparameterize_kl(mu, logvar, eps)

    def log_likelihood(self, x, out):
        """log p(x|z) per example, from the decoder's output."""
        if self.likelihood == "bernoulli":
            return -F.bce_with_logits(out, x, reduction="none").sum(-1)
        return F.log_normal(x, out, self.logvar_x)

    def loss(self, x):
        """Negative ELBO in nats, averaged over the batch, and its terms."""
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=backend.DEFAULT_DTYPE))
        if x.ndim != 2 or x.shape[1] != self.x_dim:
            raise ValueError(f"VAE.loss: expected data of shape (n, {self.x_dim}), got {x.shape}")
        mu, logvar = self.encode(x)
        z, kl = self.reparameterize(mu, logvar)
        recon = -self.log_likelihood(x, self.decode(z)).mean()
        kl = kl.mean()
        return recon + kl * self.beta, {"recon": recon, "kl": kl}

    def sample(self, n):
        with no_grad():
            z = Tensor(self.generator.normal((n, self.z_dim)))
            out = self.decode(z)
            return F.sigmoid(out) if self.likelihood == "bernoulli" else out
