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
