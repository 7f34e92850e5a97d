"""BCE with logits on the GPU: loss and gradient in one elementwise kernel."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, kernel


def forward(logits, target, total=False, rows=False):
    """(loss, d loss / d logits): the loss elementwise, or summed (``total``), or summed
    over each row (``rows``)."""
    logits = contiguous(logits, logits.dtype)
    target = contiguous(target, logits.dtype)
    loss, grad = cp.empty_like(logits), cp.empty_like(logits)
    if logits.size:
        kernel("bce_with_logits", logits.dtype)(blocks(logits.size), (THREADS,),
                                               (logits, target, loss, grad, np.int64(logits.size)))
    return (loss.sum() if total else loss.sum(axis=-1) if rows else loss), grad
