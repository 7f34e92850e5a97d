"""The importance-weighted autoencoder (Burda et al. 2016), with one or two stochastic layers.

With k samples h_i ~ q(h|x) and weights w_i = p(x, h_i) / q(h_i|x), the bound
    L_k = E[log (1/k) sum_i w_i]
satisfies ELBO = L_1 <= L_k <= L_{k+1} <= log p(x) (Theorem 1), and its gradient is the
normalized weights times the gradients of log w_i. With two stochastic layers
x -> h1 -> h2, q(h1, h2|x) = q(h1|x) q(h2|h1) and p(x, h1, h2) = p(x|h1) p(h1|h2) p(h2).
Paper architectures: one layer 784-200-200-50 (tanh); two layers 784-200-200-100 and
100-100-50, with the decoders mirrored.
"""
import numpy as np

from .. import functional as F
from ..core import no_grad
from ..nn import MLP, ModuleList
from .base import Model
from .likelihood import Likelihood


class IWAE(Model):
    def __init__(self, x_dim, z_dims=(50,), hidden=((200, 200),), k=5, activation="tanh",
                 likelihood="bernoulli", sigma=None, batchnorm=False, generator=None):
        super().__init__(generator)
        z_dims, hidden = list(z_dims), [tuple(h) for h in hidden]
        if len(z_dims) != len(hidden):
            raise ValueError(f"IWAE: one hidden tuple per stochastic layer, got {len(hidden)} for {len(z_dims)}")
        if k < 1:
            raise ValueError(f"IWAE: k must be at least 1, got {k}")
        self.x_dim, self.z_dims, self.k = x_dim, z_dims, k
        self.z_dim = z_dims[-1]
        ins = [x_dim] + z_dims[:-1]
        # q(h_l | h_{l-1}) and p(h_{l-1} | h_l); the last decoder outputs x's parameters
        self.q = ModuleList([MLP([i, *h, 2 * z], activation, batchnorm=batchnorm, generator=generator)
                             for i, h, z in zip(ins, hidden, z_dims)])
        self.p = ModuleList([MLP([z, *reversed(h), i if l == 0 else 2 * i], activation, batchnorm=batchnorm,
                                 generator=generator)
                             for l, (i, h, z) in enumerate(zip(ins, hidden, z_dims))])
        self.likelihood = Likelihood(likelihood, x_dim, sigma)

    @classmethod
    def two_layer(cls, x_dim=784, k=5, **kwargs):
        return cls(x_dim, z_dims=(100, 50), hidden=((200, 200), (100, 100)), k=k, **kwargs)

    def encode(self, x, y=None):
        """The first layer's posterior mean and log-variance."""
        return F.split(self.q[0](x), 2, axis=-1)

    def code(self, x, y=None):
        h = x
        for q in self.q:
            h = F.split(q(h), 2, axis=-1)[0]
        return h

    def decode(self, z, y=None):
        """p(x|h1)'s parameters from the top layer's h, through the layers' means."""
        h = z
        for l in reversed(range(1, len(self.p))):
            h = F.split(self.p[l](h), 2, axis=-1)[0]
        return self.p[0](h)

    def log_weights(self, x, k=None, y=None, eps=None):
        """log w = log p(x, h) - log q(h|x) for k samples per input: shape (n, k), and the
        samples of the first layer (k * n, d1), stacked sample-major: row i * n + j is sample
        i of input j. Each input is encoded once; each layer above, once per sample below."""
        k = k or self.k
        n, top = x.shape[0], len(self.q) - 1
        h, log_w, samples = x, 0.0, []
        for l, q in enumerate(self.q):
            mu, logvar = F.split(q(h), 2, axis=-1)
            shape = ((k,) if l == 0 else ()) + mu.shape
            e = self.generator.normal(shape) if eps is None else eps[l].reshape(shape)
            if l == top:   # the prior N(0, I): the fused op gives log p(h) - log q(h|.)
                h, ratio = F.reparameterize_log_ratio(mu, logvar, e)
                log_w = ratio.reshape(k, n) + log_w
            else:
                h = mu + F.exp(logvar * 0.5) * e
                log_w = F.log_normal(h, mu, logvar).reshape(k, n) * -1.0 + log_w
            h = h.reshape(k * n, -1)
            samples.append(h)
        for l in reversed(range(1, len(self.p))):
            mu, logvar = F.split(self.p[l](samples[l]), 2, axis=-1)
            log_w = F.log_normal(samples[l - 1], mu, logvar).reshape(k, n) + log_w
        xk = F.concat([x] * k, axis=0) if k > 1 else x
        log_w = self.likelihood.log_prob(xk, self.p[0](samples[0])).reshape(k, n) + log_w
        return log_w.T, samples[0]

    def bound(self, x, k=None):
        """L_k per example."""
        return F.iwae_bound(self.log_weights(x, k)[0])[0]

    def loss(self, x, y=None):
        x = self.as_input(x)
        bound = self.bound(x).mean()
        return -bound, {"bound": bound}

    def sir_reconstruct(self, x, k=None):
        """Sampling-importance-resampling: draw k codes from q(h|x), pick one per input with
        probability proportional to its weight, decode it."""
        with no_grad():
            x = self.as_input(x)
            k, n = k or self.k, x.shape[0]
            logw, h1 = self.log_weights(x, k)
            _, w = F.iwae_bound(logw)
            w = w.numpy().astype(np.float64)
            u = np.asarray(self.generator.uniform((n, 1), dtype=np.float64))
            pick = np.minimum((np.cumsum(w / w.sum(1, keepdims=True), 1) < u).sum(1), k - 1)
            h = h1.numpy().reshape(k, n, -1)[pick, np.arange(n)]
            return self.data_mean(self.p[0](self.constant(h))).numpy()
