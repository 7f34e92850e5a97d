"""The VAE with a mixture-of-Gaussians posterior, the lectures' "more flexible
approximations, e.g. GMMs instead of diagonal Gaussian":

    q(z|x) = sum_c pi_c(x) N(z; mu_c(x), diag(exp(logvar_c(x))))
    ELBO   = sum_c pi_c E_{z ~ N_c} [log p(x|z) + log p(z) - log q(z|x)]

The sum over the components is taken exactly and the expectation within each by one
reparameterized draw, so the estimate is unbiased and differentiable in pi as well as in
mu and logvar. The KL term has no closed form: it is log q(z|x) - log p(z) at the draws,
with q the whole mixture's density.
"""
import numpy as np

from .. import backend, functional as F
from ..nn import MLP
from .vae import VAE


class MixturePosteriorVAE(VAE):
    def __init__(self, x_dim, z_dim=2, components=3, **kwargs):
        if components < 1:
            raise ValueError(f"MixturePosteriorVAE: components must be positive, got {components}")
        self.components = components
        super().__init__(x_dim, z_dim, **kwargs)
        self.kl = "sample"

    def networks(self, hidden, activation, generator):
        c, d = self.components, self.z_dim
        return (MLP([self.encoder_in(), *hidden, c * (2 * d + 1)], activation, batchnorm=self.batchnorm,
                    generator=generator),
                MLP([self.decoder_in(), *reversed(hidden), self.x_dim], activation, batchnorm=self.batchnorm,
                    generator=generator))

    def posterior(self, x):
        """(logits (n, C), mu (n, C, d), logvar (n, C, d)) of q(z|x)."""
        c, d = self.components, self.z_dim
        out = self.encoder(x)
        logits, rest = F.split(out, [c], axis=-1)
        mu, logvar = F.split(rest.reshape(x.shape[0], c, 2 * d), 2, axis=-1)
        return logits, mu, logvar

    def encode(self, x, y=None):
        """The mixture's mean and the log of its variance per unit (its first two moments)."""
        logits, mu, logvar = self.posterior(x)
        w = F.expand_dims(F.softmax(logits, axis=-1), -1)
        mean = (w * mu).sum(1)
        second = (w * (F.exp(logvar) + mu * mu)).sum(1)
        return mean, F.log(second - mean * mean)

    def log_q(self, z, logits, mu, logvar):
        """log q(z|x) for z (n, m, d): the mixture's density at m points per input."""
        per_component = F.log_normal(F.expand_dims(z, 2), F.expand_dims(mu, 1), F.expand_dims(logvar, 1))
        return F.logsumexp(per_component + F.expand_dims(F.log_softmax(logits, axis=-1), 1), axis=-1)

    def elbo_terms(self, x, y=None, eps=None):
        logits, mu, logvar = self.posterior(x)
        (n, c, d), D = mu.shape, x.shape[1]
        eps = self.noise((n, c, d)) if eps is None else eps
        z = mu + F.exp(logvar * 0.5) * eps                                   # one draw per component
        xc = F.broadcast_to(F.expand_dims(x, 1), (n, c, D)).reshape(n * c, D)
        recon = -self.likelihood.log_prob(xc, self.decode(z.reshape(n * c, d), y)).reshape(n, c)
        kl = self.log_q(z, logits, mu, logvar) - self.log_prior(z)           # (n, C)
        w = F.softmax(logits, axis=-1)
        return (w * recon).sum(-1), (w * kl).sum(-1)

    def log_weights(self, x, k, y=None):
        """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for z_i ~ q(z|x): the component
        of each draw is picked by its weight (on the host), then z by the reparameterization."""
        logits, mu, logvar = self.posterior(x)
        (n, c, d) = mu.shape
        pi = np.asarray(backend.to_device(F.softmax(logits, axis=-1).data, "cpu"), np.float64)
        u = np.asarray(backend.to_device(self.generator.uniform((k, n), dtype=np.float64), "cpu"))
        pick = np.minimum((np.cumsum(pi, -1)[None] < u[..., None]).sum(-1), c - 1)   # (k, n)
        onehot = self.one_hot(pick.T, c)                                                # (n, k, C)
        chosen = lambda a: (F.expand_dims(onehot, -1) * F.expand_dims(a, 1)).sum(2)    # (n, k, d)
        z = chosen(mu) + F.exp(chosen(logvar) * 0.5) * self.noise((n, k, d))
        xk = F.broadcast_to(F.expand_dims(x, 1), (n, k, x.shape[1])).reshape(n * k, x.shape[1])
        log_px = self.likelihood.log_prob(xk, self.decode(z.reshape(n * k, d), y)).reshape(n, k)
        return log_px + self.log_prior(z) - self.log_q(z, logits, mu, logvar)
