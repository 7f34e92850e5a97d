"""The decoder's Gaussian negative log-likelihood summed over each row, on the GPU: a warp a
row forward; backward d mean per element and d logvar's column sums in one launch (each
column group's last block adds the blocks' sums in order). See kernels/cpu/gaussian_nll.py."""
import cupy as cp
import numpy as np

from .module import THREADS, contiguous, kernel, rows, tickets


def forward(x, mean, logvar):
    n, d = x.shape
    x, mean = contiguous(x, x.dtype), contiguous(mean, x.dtype)
    lv, lv_ld = rows(logvar, x.dtype)
    if n * d == 0:   # no rows, or rows of nothing: 0.5 (0 + 0 log 2 pi)
        return cp.zeros(n, x.dtype)
    out = cp.empty(n, x.dtype)
    per_block = THREADS // 32
    kernel("gaussian_nll_rows", x.dtype)(((n + per_block - 1) // per_block,), (THREADS,),
                                         (x, mean, lv, out, np.int32(n), np.int32(d), lv_ld))
    return out


def backward(x, mean, logvar, g, want_logvar=True, into=None):
    """(d mean, d logvar or None) for the incoming gradient g of the rows, (n,); d logvar
    written into ``into[2]`` where given (the engine's gradient slot)."""
    n, d = x.shape
    x, mean, g = contiguous(x, x.dtype), contiguous(mean, x.dtype), contiguous(g, x.dtype)
    lv, lv_ld = rows(logvar, x.dtype)
    gmean = cp.empty_like(x)
    slot = into[2] if into is not None else None
    glv = (cp.empty(d, x.dtype) if slot is None else slot) if want_logvar else None
    if n * d == 0:
        if want_logvar:
            glv[...] = 0
        return gmean, glv
    grid = ((d + 31) // 32, min((n + 7) // 8, 128))
    partial = cp.empty((grid[1], d), x.dtype) if want_logvar else gmean
    kernel("gaussian_nll_rows_backward", x.dtype)(
        grid, (32, 8), (x, mean, lv, g, gmean, glv if want_logvar else gmean, partial,
                        tickets(grid[0]) if want_logvar else cp.empty(1, cp.uint32), np.int32(n), np.int32(d),
                        lv_ld, np.int32(want_logvar)))
    return gmean, glv
