"""Fused reparameterization + KL on the GPU: one warp per row forward (warp-shuffle sum
for the KL), one elementwise pass backward. mu and logvar are read in place when they are
column slices (the encoder's output split in two), and their gradients written as the two
halves of one array. See kernels/cpu/reparameterize_kl.py."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, halves, kernel, rows


def forward(mu, logvar, eps, lo, hi):
    n, d = mu.shape
    t = mu.dtype.type
    (mu, mu_ld), (logvar, logvar_ld) = rows(mu, mu.dtype), rows(logvar, mu.dtype)
    eps = contiguous(eps, mu.dtype)
    z = cp.empty((n, d), mu.dtype)
    kl = cp.empty(n, mu.dtype)
    if n == 0:   # no rows, no blocks (a zero-size grid is an error)
        return z, kl
    rows_per_block = THREADS // 32
    kernel("reparameterize_kl_forward", mu.dtype)(
        ((n + rows_per_block - 1) // rows_per_block,), (THREADS,),
        (mu, logvar, eps, z, kl, np.int32(n), np.int32(d), mu_ld, logvar_ld, t(lo), t(hi)))
    return z, kl


def backward(mu, logvar, eps, gz, gkl, lo, hi):
    n, d = mu.shape
    t = mu.dtype.type
    (mu, mu_ld), (logvar, logvar_ld), (gkl, gkl_ld) = (rows(a, mu.dtype) for a in (mu, logvar, gkl))
    eps, gz = contiguous(eps, mu.dtype), contiguous(gz, mu.dtype)
    gmu, glv, ld = halves(n, d, mu.dtype)
    if n * d == 0:
        return gmu, glv
    kernel("reparameterize_kl_backward", mu.dtype)(
        blocks(n * d), (THREADS,), (mu, logvar, eps, gz, gkl, gmu, glv, np.int64(n), np.int32(d), mu_ld, logvar_ld,
                                    gkl_ld, ld, ld, t(lo), t(hi)))
    return gmu, glv
