"""IWAE log-mean-exp and normalized weights on the GPU: one block per row, block-wide
max and sum reductions (warp shuffles, then shared memory). See kernels/cpu/iwae.py."""
import math

import cupy as cp

from .module import kernel, strides


def forward(logw):
    n, k = logw.shape
    if k == 0:   # as minivae.ops.iwae_bound: L_k of no samples is undefined
        raise ValueError(f"iwae_weights: k = 0 samples in log-weights of shape {logw.shape}")
    logw, rows, cols = strides(logw, logw.dtype)
    out = cp.empty(n, logw.dtype)
    weights = cp.empty((n, k), logw.dtype)
    if n == 0:   # no rows, no blocks (a zero-size grid is an error)
        return out, weights
    threads = min(256, 32 * ((k + 31) // 32))
    kernel("iwae_weights", logw.dtype)((n,), (threads,), (logw, out, weights, cp.int32(k), rows, cols,
                                                                   logw.dtype.type(math.log(k))))
    return out, weights
