"""Fused reparameterization + KL on the GPU: one warp per row forward (warp-shuffle sum
for the KL), one elementwise pass backward. See kernels/cpu/reparameterize_kl.py."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, kernel


def forward(mu, logvar, eps, lo, hi):
    n, d = mu.shape
    t = mu.dtype.type
    mu, logvar, eps = (contiguous(a, mu.dtype) for a in (mu, logvar, eps))
    z = cp.empty_like(mu)
    kl = cp.empty(n, mu.dtype)
    if n == 0:   # no rows, no blocks (a zero-size grid is an error)
        return z, kl
    rows_per_block = THREADS // 32
    kernel("reparameterize_kl_forward", mu.dtype)(
        ((n + rows_per_block - 1) // rows_per_block,), (THREADS,),
        (mu, logvar, eps, z, kl, np.int32(n), np.int32(d), t(lo), t(hi)))
    return z, kl


def backward(mu, logvar, eps, gz, gkl, lo, hi):
    n, d = mu.shape
    t = mu.dtype.type
    mu, logvar, eps, gz, gkl = (contiguous(a, mu.dtype) for a in (mu, logvar, eps, gz, gkl))
    gmu, glv = cp.empty_like(mu), cp.empty_like(mu)
    if mu.size == 0:
        return gmu, glv
    kernel("reparameterize_kl_backward", mu.dtype)(
        blocks(n * d), (THREADS,), (mu, logvar, eps, gz, gkl, gmu, glv, np.int64(n), np.int32(d), t(lo), t(hi)))
    return gmu, glv
