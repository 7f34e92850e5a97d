"""Fused reparameterization and log ratio of prior to posterior on the CPU, for k samples
of each of n inputs stacked sample-major (eps of shape (k, n, d)), one pass each way:

forward  (mu, logvar, eps) -> z = mu + s eps,  r = 0.5 sum_j (eps^2 + lv - z^2),  s = exp(lv/2)
backward (gz, gr)          -> with g = gz - gr z (the gradient reaching z, as dr/dz = -z),
                              gmu = sum over samples of g,
                              glv = 0.5 sum over samples of (g eps s + gr) where lo <= logvar <= hi, else 0
with lv = clip(logvar, lo, hi) (minivae.ops.reparameterize). z is recomputed in the backward
pass, not kept. The exp comes from ``vecmath``, so the loops over d vectorize.
"""
import numpy as np
from numba import njit

from .vecmath import exp


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "nsz", "contract"})  # the ratio's sum vectorizes
def _forward(mu, logvar, eps, lo, hi, z, r):
    k, n, d = eps.shape
    half = mu.dtype.type(0.5)
    for a in range(k):
        for i in range(n):
            acc = mu.dtype.type(0)
            for j in range(d):
                lv = min(max(logvar[i, j], lo), hi)
                e = eps[a, i, j]
                v = mu[i, j] + exp(half * lv) * e
                z[a, i, j] = v
                acc += e * e + lv - v * v
            r[a, i] = half * acc


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _backward(mu, logvar, eps, gz, gr, lo, hi, gmu, glv):
    k, n, d = eps.shape
    half, zero = mu.dtype.type(0.5), mu.dtype.type(0)
    gmu[:] = zero
    glv[:] = zero
    for a in range(k):
        for i in range(n):
            g_r = gr[a, i]
            for j in range(d):
                s = exp(half * min(max(logvar[i, j], lo), hi))
                e = eps[a, i, j]
                g = gz[a, i, j] - g_r * (mu[i, j] + s * e)
                gmu[i, j] += g
                glv[i, j] += g * s * e + g_r
    for i in range(n):
        for j in range(d):
            raw = logvar[i, j]
            glv[i, j] = half * glv[i, j] if lo <= raw <= hi else zero   # inclusive, as clip's gradient


def forward(mu, logvar, eps, lo, hi):
    z = np.empty(eps.shape, mu.dtype)
    r = np.empty(eps.shape[:2], mu.dtype)
    t = mu.dtype.type
    c = lambda a: np.ascontiguousarray(a, dtype=mu.dtype)   # strided loops do not vectorize
    _forward(c(mu), c(logvar), c(eps), t(lo), t(hi), z, r)
    return z, r


def backward(mu, logvar, eps, gz, gr, lo, hi):
    gmu = np.empty(mu.shape, mu.dtype)
    glv = np.empty(mu.shape, mu.dtype)
    t = mu.dtype.type
    c = lambda a: np.ascontiguousarray(a, dtype=mu.dtype)
    _backward(c(mu), c(logvar), c(eps), c(gz), c(gr), t(lo), t(hi), gmu, glv)
    return gmu, glv
