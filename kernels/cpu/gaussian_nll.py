"""The decoder's Gaussian negative log-likelihood, summed over each row, on the CPU: one pass
each way. For x, mean of shape (n, d) and a log-variance lv per dimension (d,):

forward   nll_i = 0.5 sum_j [(x_ij - mean_ij)^2 exp(-lv_j) + lv_j + log 2 pi]
backward  d mean_ij = g_i (mean_ij - x_ij) exp(-lv_j),   (d x = -d mean)
          d lv_j    = 0.5 sum_i g_i [1 - (x_ij - mean_ij)^2 exp(-lv_j)]
exp(-lv_j) is taken once per dimension, not per element.
"""
import math

import numpy as np
from numba import njit

_JIT = {"error_model": "numpy", "fastmath": {"reassoc", "nsz", "contract"}}   # the row sums vectorize


@njit(cache=True, **_JIT)
def _forward(x, mean, lv, inv, out):
    n, d = x.shape
    half, log2pi = x.dtype.type(0.5), x.dtype.type(math.log(2 * math.pi))
    for i in range(n):
        acc = x.dtype.type(0)
        for j in range(d):
            diff = x[i, j] - mean[i, j]
            acc += diff * diff * inv[j] + lv[j]
        out[i] = half * (acc + d * log2pi)


@njit(cache=True, **_JIT)
def _backward(x, mean, inv, g, gmean, glv):
    """gmean, and the sum over rows for d lv into glv (float64, its rows added in order)."""
    n, d = x.shape
    half, one = x.dtype.type(0.5), x.dtype.type(1)
    for i in range(n):
        for j in range(d):
            diff = mean[i, j] - x[i, j]
            gmean[i, j] = g[i] * diff * inv[j]
            glv[j] += g[i] * half * (one - diff * diff * inv[j])


def forward(x, mean, logvar):
    """Each row's negative log-likelihood, (n,); logvar of shape (d,) (a broadcast view is fine)."""
    x = np.ascontiguousarray(x)
    mean = np.ascontiguousarray(mean, dtype=x.dtype)
    lv = np.ascontiguousarray(logvar, dtype=x.dtype)
    out = np.empty(x.shape[0], x.dtype)
    _forward(x, mean, lv, np.exp(-lv), out)
    return out


def backward(x, mean, logvar, g, want_logvar=True, into=None):
    """(d mean, d logvar or None) for the incoming gradient g of the rows, (n,); d logvar
    written into ``into[2]`` where given (the engine's gradient slot)."""
    x = np.ascontiguousarray(x)
    mean = np.ascontiguousarray(mean, dtype=x.dtype)
    lv = np.ascontiguousarray(logvar, dtype=x.dtype)
    gmean = np.empty_like(x)
    glv = np.zeros(x.shape[1], np.float64)
    _backward(x, mean, np.exp(-lv), np.ascontiguousarray(g, dtype=x.dtype), gmean, glv)
    if not want_logvar:
        return gmean, None
    if into is not None and into[2] is not None:
        into[2][...] = glv
        return gmean, into[2]
    return gmean, glv.astype(x.dtype)
