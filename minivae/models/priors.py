"""Priors p(z). Those an adversarial autoencoder's codes are matched to (Makhzani et al.
2016): a 2-D standard Gaussian, a mixture of 10 Gaussians on a circle, and a swiss roll; each
draws ``(n, 2)`` samples, and the mixture and the roll take labels (a component or a segment
per class). And a
VAE's Gaussian-mixture prior with a density (``MixturePrior``), fixed or learned."""
import numpy as np

from .. import backend, functional as F
from ..nn import Module, Parameter


def gaussian(n, generator=None):
    return (generator or backend.default_generator()).normal((n, 2))


def mixture_of_gaussians(n, components=10, radius=4.0, std=0.5, generator=None, labels=None):
    """Gaussians centred on a circle; ``labels`` fixes the component of each sample."""
    rng = generator or backend.default_generator()
    xp = backend.array_module(rng.device)   # drawn where the generator draws: no host copy
    k = rng.integers(components, n) if labels is None else xp.asarray(labels) % components
    angle = 2 * np.pi * k / components
    centre = radius * xp.stack([xp.cos(angle), xp.sin(angle)], 1)
    return (centre + std * rng.normal((n, 2), dtype=np.float64)).astype(backend.DEFAULT_DTYPE)


def swiss_roll(n, noise=0.05, generator=None, labels=None, components=10):
    """A spiral; ``labels`` puts each sample on its label's segment (one of ``components``
    equal pieces of the roll, as Makhzani et al.'s labelled swiss roll, Fig. 6)."""
    rng = generator or backend.default_generator()
    xp = backend.array_module(rng.device)
    u = rng.uniform((n,), dtype=np.float64)
    if labels is not None:
        u = (xp.asarray(labels) % components + u) / components
    t = 1.5 * np.pi * (1 + 2 * u)
    x = xp.stack([t * xp.cos(t), t * xp.sin(t)], 1) / 5.0
    return (x + noise * rng.normal((n, 2), dtype=np.float64)).astype(backend.DEFAULT_DTYPE)


def mixture_centres(components=10, radius=4.0):
    """The centres of ``mixture_of_gaussians``' components: (components, 2)."""
    angle = 2 * np.pi * np.arange(components) / components
    return radius * np.stack([np.cos(angle), np.sin(angle)], 1)


def component_of(z, components=10, radius=4.0):
    """The index of the mixture component nearest each point."""
    centres = mixture_centres(components, radius)
    return np.argmin(((np.asarray(z)[:, None, :] - centres) ** 2).sum(-1), axis=1)


PRIORS = {"gaussian": gaussian, "mixture": mixture_of_gaussians, "swiss_roll": swiss_roll}   # for the AAE


def sampler(name):
    """``draw(n, rng)``: n draws of the prior ``name`` as a host array, seeded from a NumPy
    Generator ``rng`` (what eval.prior_match takes)."""
    prior = PRIORS[name]
    return lambda n, rng: np.asarray(backend.to_device(
        prior(n, generator=backend.Generator(int(rng.integers(2 ** 31)))), "cpu"))


class MixturePrior(Module):
    """A VAE's prior p(z) = sum_k pi_k N(z; m_k, diag(exp(v_k))) (the lectures' Fig. 2(d)),
    fixed or learned with the model (``learn``). Its K means start on a circle of ``radius``
    for a 2-D code, else at random N(0, radius^2 / d) points; each variance std^2; the weights
    pi = softmax(logits), uniform at the start."""

    def __init__(self, z_dim, components=10, learn=False, radius=2.0, std=0.5, generator=None):
        super().__init__()
        if components < 1:
            raise ValueError(f"MixturePrior: components must be positive, got {components}")
        if z_dim == 2:
            angle = 2 * np.pi * np.arange(components) / components
            means = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
        else:
            means = np.asarray(backend.to_device((generator or backend.default_generator()).normal(
                (components, z_dim), dtype=np.float64), "cpu")) * radius / np.sqrt(z_dim)
        dtype = backend.DEFAULT_DTYPE
        self.means = Parameter(means.astype(dtype), requires_grad=learn)
        self.logvars = Parameter(np.full((components, z_dim), 2 * np.log(std), dtype), requires_grad=learn)
        self.logits = Parameter(np.zeros(components, dtype), requires_grad=learn)

    def log_prob(self, z):
        """log p(z) over the last axis of z."""
        per_component = F.log_normal(F.expand_dims(z, -2), self.means, self.logvars)     # (..., K)
        return F.logsumexp(per_component + F.log_softmax(self.logits), axis=-1)

    def sample(self, n, generator=None):
        """(codes (n, d), components (n,)) drawn from the mixture, on the host."""
        rng = generator or backend.default_generator()
        logits = np.asarray(backend.to_device(self.logits.data, "cpu"), np.float64)
        weights = np.exp(logits - logits.max())
        u = np.asarray(backend.to_device(rng.uniform((n,), dtype=np.float64), "cpu"))
        k = np.minimum((np.cumsum(weights / weights.sum())[None, :] < u[:, None]).sum(1), len(weights) - 1)
        means, logvars = (np.asarray(backend.to_device(p.data, "cpu")) for p in (self.means, self.logvars))
        eps = np.asarray(backend.to_device(rng.normal((n, means.shape[1]), dtype=np.float64), "cpu"))
        return (means[k] + np.exp(0.5 * logvars[k]) * eps).astype(means.dtype), k
