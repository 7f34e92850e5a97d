"""Fused reparameterization and KL on the CPU, one pass each way, one exp per element:

forward  (mu, logvar, eps) -> z = mu + s eps,  kl = 0.5 sum_j (s^2 + mu^2 - 1 - lv),  s = exp(lv/2)
backward (gz, gkl)         -> gmu = gz + gkl mu,
                              glv = [gz eps s + gkl (s^2 - 1)] / 2 where lo <= logvar <= hi, else 0
with lv = clip(logvar, lo, hi) (see minivae.ops.reparameterize for the clamp). The exp comes
from ``vecmath``, so both loops vectorize.
"""
import numpy as np
from numba import njit

from .vecmath import exp


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "nsz", "contract"})  # the KL's row sum vectorizes
def _forward(mu, logvar, eps, lo, hi, z, kl):
    n, m = mu.shape
    half, one = mu.dtype.type(0.5), mu.dtype.type(1)
    for i in range(n):
        acc = mu.dtype.type(0)
        for j in range(m):
            lv = min(max(logvar[i, j], lo), hi)
            s = exp(half * lv)
            z[i, j] = mu[i, j] + s * eps[i, j]
            acc += s * s + mu[i, j] * mu[i, j] - one - lv
        kl[i] = half * acc


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _backward(mu, logvar, eps, gz, gkl, lo, hi, gmu, glv):
    n, m = mu.shape
    half, one, zero = mu.dtype.type(0.5), mu.dtype.type(1), mu.dtype.type(0)
    for i in range(n):
        for j in range(m):
            raw = logvar[i, j]
            gmu[i, j] = gz[i, j] + gkl[i] * mu[i, j]
            if lo <= raw <= hi:   # inclusive, as clip's gradient
                s = exp(half * raw)
                glv[i, j] = half * (gz[i, j] * eps[i, j] * s + gkl[i] * (s * s - one))
            else:
                glv[i, j] = zero


def forward(mu, logvar, eps, lo, hi):
    z = np.empty(mu.shape, mu.dtype)
    kl = np.empty(mu.shape[0], mu.dtype)
    t = mu.dtype.type
    c = lambda a: np.ascontiguousarray(a, dtype=mu.dtype)   # strided loops do not vectorize
    _forward(c(mu), c(logvar), c(eps), t(lo), t(hi), z, kl)
    return z, kl


def backward(mu, logvar, eps, gz, gkl, lo, hi):
    gmu = np.empty(mu.shape, mu.dtype)
    glv = np.empty(mu.shape, mu.dtype)
    t = mu.dtype.type
    c = lambda a: np.ascontiguousarray(a, dtype=mu.dtype)
    _backward(c(mu), c(logvar), c(eps), c(gz), c(gkl), t(lo), t(hi), gmu, glv)
    return gmu, glv
