"""IWAE's log-mean-exp and normalized importance weights, one row at a time:

    L_k = log (1/k) sum_i w_i = m + log sum_i exp(log w_i - m) - log k,   m = max_i log w_i
    w~_i = exp(log w_i - m) / sum_j exp(log w_j - m)

A row of -inf gives L_k = -inf and zero weights (never NaN); a row holding +inf gives
L_k = +inf and equal weights on its +inf entries (the limit of the weights, as in
``minivae.ops.softmax``). Two passes over each row:
the max, then the exponentials (from ``vecmath``, so the pass vectorizes), stored as
unnormalized weights and rescaled in place.
"""
import math

import numpy as np
from numba import njit

from .vecmath import exp


# reassoc: the row sums vectorize; no nnan/ninf: -inf is data here
@njit(cache=True, error_model="numpy", fastmath={"reassoc", "nsz", "contract"})
def _rows(logw, out, weights):
    n, k = logw.shape
    log_k = math.log(k)
    for i in range(n):
        m = -np.inf
        for j in range(k):
            m = max(m, logw[i, j])
        if m == -np.inf:
            out[i] = -np.inf
            for j in range(k):
                weights[i, j] = 0.0
            continue
        if m == np.inf:
            top = 0
            for j in range(k):
                top += logw[i, j] == np.inf
            out[i] = np.inf
            for j in range(k):
                weights[i, j] = 1.0 / top if logw[i, j] == np.inf else 0.0
            continue
        s = 0.0
        for j in range(k):
            e = exp(logw[i, j] - m)
            weights[i, j] = e
            s += e
        for j in range(k):
            weights[i, j] /= s
        out[i] = m + math.log(s) - log_k


def forward(logw):
    logw = np.ascontiguousarray(logw)   # strided loops do not vectorize
    out = np.empty(logw.shape[0], logw.dtype)
    weights = np.empty(logw.shape, logw.dtype)
    _rows(logw, out, weights)
    return out, weights
