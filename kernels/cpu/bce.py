"""Binary cross-entropy on logits: loss and gradient together, in one pass, stable for any
logit. With e = exp(-|l|) <= 1:

    loss     = a |l| + log1p(e),  a = 1 - t for l >= 0, t for l < 0   (= max(l, 0) - l t + log1p(e))
    dloss/dl = sigmoid(l) - t,   sigmoid(l) = 1 / (1 + e) for l >= 0, e / (1 + e) for l < 0

The first form is safe at an infinite logit: l = +inf with t = 0 costs +inf, where
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
            # max(v, 0)(1 - t) + max(-v, 0) t as one product: the sum of two products is
            # expanded under reassoc into v - v t, which is inf - inf at v = +inf
            value = ((one - t[i, j]) if v >= zero else t[i, j]) * abs(v) + log1p_unit(e)
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
