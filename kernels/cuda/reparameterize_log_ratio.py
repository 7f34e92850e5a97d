"""Fused reparameterization + log ratio of prior to posterior on the GPU: one warp per
(sample, input) row forward (warp-shuffle sum for the ratio), one thread per (input, dim)
backward, summing over the samples. See kernels/cpu/reparameterize_log_ratio.py."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, halves, kernel, rows, strides


def forward(mu, logvar, eps, lo, hi):
    k, n, d = eps.shape
    t = mu.dtype.type
    (mu, mu_ld), (logvar, logvar_ld) = rows(mu, mu.dtype), rows(logvar, mu.dtype)
    eps = contiguous(eps, mu.dtype)
    z = cp.empty(eps.shape, mu.dtype)
    r = cp.empty((k, n), mu.dtype)
    if k * n == 0:   # no rows, no blocks (a zero-size grid is an error)
        return z, r
    rows_per_block = THREADS // 32
    kernel("reparameterize_log_ratio_forward", mu.dtype)(
        ((k * n + rows_per_block - 1) // rows_per_block,), (THREADS,),
        (mu, logvar, eps, z, r, np.int64(k * n), np.int64(n), np.int32(d), mu_ld, logvar_ld, t(lo), t(hi)))
    return z, r


def backward(mu, logvar, eps, gz, gr, lo, hi):
    k, n, d = eps.shape
    t = mu.dtype.type
    (mu, mu_ld), (logvar, logvar_ld) = rows(mu, mu.dtype), rows(logvar, mu.dtype)
    eps, gz = contiguous(eps, mu.dtype), contiguous(gz, mu.dtype)
    gr, gr_rows, gr_cols = strides(gr, mu.dtype)   # often the transpose of the bound's (n, k) gradient
    gmu, glv, ld = halves(n, d, mu.dtype)
    if n * d == 0:
        return gmu, glv
    kernel("reparameterize_log_ratio_backward", mu.dtype)(
        blocks(n * d), (THREADS,),
        (mu, logvar, eps, gz, gr, gmu, glv, np.int64(n), np.int32(k), np.int32(d), mu_ld, logvar_ld, ld, ld,
         gr_rows, gr_cols, t(lo), t(hi)))
    return gmu, glv
