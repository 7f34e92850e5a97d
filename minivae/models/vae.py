"""The variational autoencoder (Kingma & Welling 2014).

encoder   q(z|x) = N(mu(x), diag(exp(logvar(x))))
decoder   p(x|z): Bernoulli on logits, or Gaussian with fixed or learned variance
prior     p(z) = N(0, I), or a mixture of Gaussians (``prior="mixture"``, fixed or learned)
ELBO      E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)
loss      -E_q[log p(x|z)] + beta * KL, per example, averaged over the batch; beta = 1 is
          the negative ELBO, beta > 1 the beta-VAE (Higgins et al. 2017).
          ``recon_weight`` w multiplies the first term: w = "m/n" is the "Variational
          Models" slide's weighting, m/n sum_batch recon + beta sum_batch KL for a batch of m
          of the n training examples (n is ``dataset_size``, which fit sets), divided by m
          as every loss here is. Up to that overall m/n it is the beta-VAE with beta n/m.
          (Under data-parallel training m is the rank's share of the batch.)

z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) (the reparameterization trick) keeps z
differentiable in mu and logvar. The KL term is the closed form of Appendix B by default,
or the one-sample estimate log q(z|x) - log p(z) with ``kl="sample"`` (the only one for a
mixture prior, whose KL has no closed form); L = ``n_samples`` draws per input average the
reconstruction term.
"""
import math

import numpy as np

from .. import functional as F
from ..core import no_grad
from ..nn import MLP
from .base import Model
from .likelihood import Likelihood
from .priors import MixturePrior


class VAE(Model):
    def __init__(self, x_dim, z_dim=2, hidden=(64, 64), activation="tanh", likelihood="gaussian",
                 sigma=None, beta=1.0, n_samples=1, kl="analytic", prior="gaussian", prior_components=10,
                 learn_prior=False, batchnorm=False, recon_weight=1.0, generator=None):
        super().__init__(generator)
        self.batchnorm = batchnorm
        if recon_weight != "m/n" and (isinstance(recon_weight, (str, bool)) or not recon_weight > 0):
            raise ValueError(f"{type(self).__name__}: recon_weight must be a positive number or 'm/n', "
                             f"got {recon_weight!r}")
        self.recon_weight = recon_weight
        if kl not in ("analytic", "sample"):
            raise ValueError(f"{type(self).__name__}: kl must be 'analytic' or 'sample', got {kl!r}")
        if prior not in ("gaussian", "mixture"):
            raise ValueError(f"{type(self).__name__}: prior must be 'gaussian' or 'mixture', got {prior!r}")
        if n_samples < 1:
            raise ValueError(f"{type(self).__name__}: n_samples must be at least 1, got {n_samples}")
        self.x_dim, self.z_dim, self.beta, self.n_samples = x_dim, z_dim, beta, n_samples
        self.kl = "sample" if prior == "mixture" else kl
        self.encoder, self.decoder = self.networks(hidden, activation, generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma)
        self.prior = MixturePrior(z_dim, prior_components, learn_prior, generator=generator) \
            if prior == "mixture" else None

    def log_prior(self, z):
        """log p(z), summed over the last axis."""
        return log_prior(z) if self.prior is None else self.prior.log_prob(z)

    def networks(self, hidden, activation, generator):
        """The encoder (to mu and log-variance, 2 z_dim outputs) and the decoder."""
        return (MLP([self.encoder_in(), *hidden, 2 * self.z_dim], activation, batchnorm=self.batchnorm,
                    generator=generator),
                MLP([self.decoder_in(), *reversed(hidden), self.x_dim], activation, batchnorm=self.batchnorm,
                    generator=generator))

    def encoder_in(self):
        return self.x_dim

    def decoder_in(self):
        return self.z_dim

    def encode(self, x, y=None):
        """The posterior's mean and log-variance."""
        mu, logvar = F.split(self.encoder(x), 2, axis=-1)
        return mu, logvar

    def code(self, x, y=None):
        return self.encode(x, y)[0]

    def noise(self, shape):
        return self.generator.normal(shape)

    def elbo_terms(self, x, y=None, eps=None):
        """(-E_q log p(x|z), KL) per example, from L = n_samples draws of z."""
        mu, logvar = self.encode(x, y)
        L, (n, d) = self.n_samples, mu.shape
        # drawn batch axis first, as every draw is: a data-parallel fit cuts draws on the
        # first axis of its rank's rows (minivae.distributed.ShardedGenerator)
        eps = self.noise((n, L, d)).swapaxes(0, 1) if eps is None else eps
        if L == 1 and self.kl == "analytic":
            z, kl = F.reparameterize_kl(mu, logvar, eps.reshape(n, d))   # the fused op
            return -self.likelihood.log_prob(x, self.decode(z, y)), kl
        z = mu + F.exp(logvar * 0.5) * eps                                 # (L, n, d)
        zf = z.reshape(L * n, d)
        yf = None if y is None else np.tile(np.asarray(y), L)
        xf = F.concat([x] * L, axis=0) if L > 1 else x
        recon = -self.likelihood.log_prob(xf, self.decode(zf, yf)).reshape(L, n).mean(0)
        if self.kl == "analytic":
            kl = F.kl_normal(mu, logvar)
        else:
            kl = (F.log_normal(z, mu, logvar) - self.log_prior(z)).mean(0)    # log q(z|x) - log p(z)
        return recon, kl

    def log_weights(self, x, k, y=None):
        """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k draws z_i ~ q(z|x):
        shape (n, k). logsumexp_i(log w_i) - log k is the bound L_k (see IWAE)."""
        mu, logvar = self.encode(x, y)
        n, d = mu.shape
        z = mu + F.exp(logvar * 0.5) * self.noise((k, n, d))             # (k, n, d)
        yk = None if y is None else np.tile(np.asarray(y), k)
        log_px = self.likelihood.log_prob(F.concat([x] * k, axis=0) if k > 1 else x,
                                          self.decode(z.reshape(k * n, d), yk)).reshape(k, n)
        return (log_px + self.log_prior(z) - F.log_normal(z, mu, logvar)).T

    def loss(self, x, y=None):
        x = self.as_input(x)
        recon, kl = self.elbo_terms(x, y)
        recon, kl = recon.mean(), kl.mean()
        return recon * self.weight_of_recon(x.shape[0]) + kl * self.beta, {"recon": recon, "kl": kl,
                                                                            "elbo": -(recon + kl)}

    def weight_of_recon(self, m):
        if self.recon_weight != "m/n":
            return self.recon_weight
        if self.dataset_size is None:
            raise ValueError(f"{type(self).__name__}: recon_weight='m/n' needs the training set's size n "
                             "(dataset_size, which fit sets)")
        return m / self.dataset_size

    def sample(self, n, y=None):
        with no_grad():
            z = self.noise((n, self.z_dim)) if self.prior is None else self.prior.sample(n, self.generator)[0]
            return self.data_mean(self.decode(self.constant(z), y)).numpy()


class BetaVAE(VAE):
    """The beta-VAE: the KL weighted by beta > 1 for more disentangled codes."""

    def __init__(self, x_dim, z_dim=2, beta=4.0, **kwargs):
        super().__init__(x_dim, z_dim, beta=beta, **kwargs)


def log_prior(z):
    """log N(z; 0, I), summed over the last axis."""
    return -((z * z + math.log(2 * math.pi)) * 0.5).sum(-1)
