"""BCE with logits on the GPU: loss and gradient in one kernel, elementwise, summed (the
blocks' sums added by the last block) or summed per row (a warp a row); the backward scales
the gradient in one more."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, kernel, strides, tickets


def forward(logits, target, total=False, rows=False):
    """(loss, d loss / d logits): the loss elementwise, or summed (``total``), or summed
    over each row (``rows``)."""
    logits = contiguous(logits, logits.dtype)
    target = contiguous(target, logits.dtype)
    grad = cp.empty_like(logits)
    if logits.size == 0:
        return (cp.zeros((), logits.dtype) if total else cp.zeros(logits.shape[:-1], logits.dtype) if rows
                else cp.empty_like(logits)), grad
    grid = blocks(logits.size)
    if total:
        loss, partial = cp.empty((), logits.dtype), cp.empty(grid[0], logits.dtype)
        kernel("bce_with_logits", logits.dtype)(grid, (THREADS,), (logits, target, grad, grad, partial, loss,
                                                                   tickets(1), np.int64(logits.size), np.int32(0)))
        return loss, grad
    if rows:
        n, m = logits.shape
        loss = cp.empty(n, logits.dtype)
        rows_per_block = THREADS // 32
        kernel("bce_with_logits_rows", logits.dtype)(((n + rows_per_block - 1) // rows_per_block,), (THREADS,),
                                                     (logits, target, loss, grad, np.int32(n), np.int32(m)))
        return loss, grad
    loss = cp.empty_like(logits)
    unused = cp.empty(1, cp.uint32)   # no sum: no ticket taken
    kernel("bce_with_logits", logits.dtype)(grid, (THREADS,), (logits, target, loss, grad, loss, loss, unused,
                                                               np.int64(logits.size), np.int32(1)))
    return loss, grad


def backward(grad, g, scale):
    """grad * g * scale, with g a number (0-d), one value per row (n, 1) or per element."""
    out = cp.empty_like(grad)
    if grad.size == 0:
        return out
    g, g_rows, g_cols = strides(cp.broadcast_to(contiguous(g, grad.dtype), grad.shape), grad.dtype)
    kernel("bce_with_logits_backward", grad.dtype)(
        blocks(grad.size), (THREADS,), (grad, g, out, np.int64(grad.size), np.int32(grad.shape[-1]), g_rows, g_cols,
                                        grad.dtype.type(scale)))
    return out
