"""Binary cross-entropy on logits: loss and gradient together, in one pass, stable for any
logit. With e = exp(-|l|) <= 1:

    loss     = max(l, 0) (1 - t) + max(-l, 0) t + log1p(e)     (= max(l, 0) - l t + log1p(e))
    dloss/dl = sigmoid(l) - t,   sigmoid(l) = 1 / (1 + e) for l >= 0, e / (1 + e) for l < 0

The first form keeps an infinite logit finite-safe: l = +inf with t = 0 costs +inf, where
max(l, 0) - l t would be inf - inf. (At l = +inf with t = 1, and l = -inf with t = 0,
it is 0 * inf = NaN, as in PyTorch: a logit of +-inf is a failure upstream.)
One exp and one log1p per element, from ``vecmath`` so that the loop vectorizes in float32.
A "sum" or "mean" is accumulated in float64 in the same pass, and the elementwise loss is
then never stored; reassociation lets that sum vectorize (in order it ran 5.6x slower).
"""
import numpy as np
from numba import njit

from .vecmath import exp, log1p_unit


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "nsz", "contract"})
def _loss_and_grad(l, t, loss, grad, store):
    """Writes d loss / d l into ``grad``; the loss into ``loss`` when ``store``; returns
    the loss summed."""
    n, m = l.shape
    zero, one = l.dtype.type(0), l.dtype.type(1)
    total = 0.0
    for i in range(n):
        for j in range(m):
            v = l[i, j]
            e = exp(-abs(v))
            value = max(v, zero) * (one - t[i, j]) + max(-v, zero) * t[i, j] + log1p_unit(e)
            total += value
            if store:
                loss[i, j] = value
            grad[i, j] = (one if v >= zero else e) / (one + e) - t[i, j]
    return total


def forward(logits, target, total=False):
    """(elementwise loss, d loss / d logits) for 2-D inputs; with ``total`` the loss comes
    back summed, as a 0-d array, and is never stored elementwise."""
    logits = np.ascontiguousarray(logits)   # strided loops do not vectorize
    target = np.ascontiguousarray(target, dtype=logits.dtype)
    grad = np.empty_like(logits)
    loss = np.empty((0, 0) if total else logits.shape, logits.dtype)
    summed = _loss_and_grad(logits, target, loss, grad, not total)
    return (np.asarray(summed, dtype=logits.dtype) if total else loss), grad
