"""A VAE training step written by hand in NumPy: the baseline with no engine at all.

Encoder x -> relu(x W1 + b1) -> (mu, logvar); z = mu + exp(logvar/2) eps;
decoder z -> relu(z W3 + b3) -> logits; loss = sum over the batch of
BCE(logits, x) + KL(q(z|x) || N(0, I))  (the sum-reduced negative ELBO).
"""
import numpy as np


def init(sizes=(784, 400, 20), seed=0, dtype=np.float32):
    d, h, z = sizes
    rng = np.random.default_rng(seed)
    g = lambda m, n: rng.uniform(-1, 1, (m, n)).astype(dtype) * np.sqrt(6 / (m + n)).astype(dtype)
    return {"W1": g(d, h), "b1": np.zeros(h, dtype), "W2": g(h, 2 * z), "b2": np.zeros(2 * z, dtype),
            "W3": g(z, h), "b3": np.zeros(h, dtype), "W4": g(h, d), "b4": np.zeros(d, dtype)}


def loss_and_grads(p, x, eps):
    zdim = eps.shape[1]
    a1 = x @ p["W1"] + p["b1"]
    h1 = np.maximum(a1, 0)
    s = h1 @ p["W2"] + p["b2"]
    mu, logvar = s[:, :zdim], s[:, zdim:]
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    a3 = z @ p["W3"] + p["b3"]
    h3 = np.maximum(a3, 0)
    logits = h3 @ p["W4"] + p["b4"]
    bce = np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))
    kl = 0.5 * (np.exp(logvar) + mu * mu - 1 - logvar)
    loss = bce.sum() + kl.sum()

    g = {}
    d_logits = 0.5 * (np.tanh(0.5 * logits) + 1) - x          # sigmoid(l) - x
    g["W4"], g["b4"] = h3.T @ d_logits, d_logits.sum(0)
    d_a3 = (d_logits @ p["W4"].T) * (a3 > 0)
    g["W3"], g["b3"] = z.T @ d_a3, d_a3.sum(0)
    d_z = d_a3 @ p["W3"].T
    d_mu = d_z + mu
    d_logvar = d_z * eps * std * 0.5 + 0.5 * (np.exp(logvar) - 1)
    d_s = np.concatenate([d_mu, d_logvar], axis=1)
    g["W2"], g["b2"] = h1.T @ d_s, d_s.sum(0)
    d_a1 = (d_s @ p["W2"].T) * (a1 > 0)
    g["W1"], g["b1"] = x.T @ d_a1, d_a1.sum(0)
    return loss, g


class Adam:
    """Adam on a dict of arrays, in place (the same update as minivae.optim.Adam)."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.p, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads):
        self.t += 1
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * (g * g)
            self.p[k] -= self.lr * (m / (1 - self.b1 ** self.t)) / ((v / (1 - self.b2 ** self.t)) ** 0.5 + self.eps)


def layers(sizes=(784, 400, 20)):
    """Each layer's (inputs, outputs): the encoder to mu and log-variance, the decoder back."""
    d, h, z = sizes
    return [(d, h), (h, 2 * z), (z, h), (h, d)]


def products(batch, sizes=(784, 400, 20), seed=0):
    """The step's matrix products as zero-argument calls on arrays of their shapes and
    layouts: for each layer x W forward, gz W^T (not for the first layer) and x^T gz."""
    rng = np.random.default_rng(seed)
    r = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    calls = []
    for i, (m, n) in enumerate(layers(sizes)):
        x, W, gz = r(batch, m), r(m, n), r(batch, n)
        calls.append(lambda x=x, W=W: x @ W)
        if i:
            calls.append(lambda gz=gz, W=W: gz @ W.T)
        calls.append(lambda x=x, gz=gz: x.T @ gz)
    return calls


def gemm_flops(batch, sizes=(784, 400, 20)):
    """FLOPs of the step's matrix products: forward, dX and dW for each of the four layers
    (the first layer's dX is not needed)."""
    per = [2 * batch * m * n for m, n in layers(sizes)]
    return 3 * sum(per) - per[0]
