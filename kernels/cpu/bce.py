"""Binary cross-entropy on logits: loss and gradient together, in one pass, stable for any
logit. With e = exp(-|l|) <= 1:

    loss     = a |l| + log1p(e),  a = 1 - t for l >= 0, t for l < 0   (= max(l, 0) - l t + log1p(e))
    dloss/dl = sigmoid(l) - t,   sigmoid(l) = 1 / (1 + e) for l >= 0, e / (1 + e) for l < 0

The first form is safe at an infinite logit: l = +inf with t = 0 costs +inf, where
max(l, 0) - l t would be inf - inf. (At l = +inf with t = 1, and l = -inf with t = 0,
it is 0 * inf = NaN, as in PyTorch: a logit of +-inf is a failure upstream.)
One exp and one log1p per element, from ``vecmath`` so that the loop vectorizes in float32.
A "sum" or "mean" is accumulated in the same pass, and the elementwise loss is then never
stored: each row in the data's type, in vector lanes (reassociation lets it vectorize; in
order it ran 5.6x slower), the rows' sums in float64. A float64 accumulator for every element
halved the vector width and doubled the kernel's time on the AVX2 development machine.
Storing or summing are two loops, not one loop with a flag: the flagged store compiled to
a masked vector store (vmaskmovps, slow on AMD), and the summing pass ran 1.8x slower with it
(docs/profile.md).
"""
import numpy as np
from numba import njit

from .vecmath import exp, log1p_unit


_JIT = {"error_model": "numpy", "fastmath": {"reassoc", "nsz", "contract"}}


@njit(inline="always", **_JIT)
def _bce(v, t, zero, one):
    """(loss, d loss / d v) for one logit v and its target t."""
    e = exp(-abs(v))
    # max(v, 0)(1 - t) + max(-v, 0) t as one product: the sum of two products is expanded
    # under reassoc into v - v t, which is inf - inf at v = +inf
    loss = ((one - t) if v >= zero else t) * abs(v) + log1p_unit(e)
    return loss, (one if v >= zero else e) / (one + e) - t


@njit(cache=True, **_JIT)
def _elementwise(l, t, loss, grad):
    n, m = l.shape
    zero, one = l.dtype.type(0), l.dtype.type(1)
    for i in range(n):
        for j in range(m):
            loss[i, j], grad[i, j] = _bce(l[i, j], t[i, j], zero, one)


@njit(cache=True, **_JIT)
def _row_sums(l, t, rows, grad):
    """Each row's loss summed into ``rows``; returns their sum, added in float64."""
    n, m = l.shape
    zero, one = l.dtype.type(0), l.dtype.type(1)
    total = 0.0
    for i in range(n):
        row = zero   # in the data's type, in vector lanes
        for j in range(m):
            value, grad[i, j] = _bce(l[i, j], t[i, j], zero, one)
            row += value
        rows[i] = row
        total += row
    return total


def forward(logits, target, total=False, rows=False):
    """(elementwise loss, d loss / d logits) for 2-D inputs; with ``total`` the loss comes
    back summed, as a 0-d array, with ``rows`` each row's sum, and either way it is never
    stored elementwise."""
    logits = np.ascontiguousarray(logits)   # strided loops do not vectorize
    target = np.ascontiguousarray(target, dtype=logits.dtype)
    grad = np.empty_like(logits)
    if not (total or rows):
        loss = np.empty_like(logits)
        _elementwise(logits, target, loss, grad)
        return loss, grad
    by_row = np.empty(logits.shape[0], logits.dtype)
    summed = _row_sums(logits, target, by_row, grad)
    return (np.asarray(summed, dtype=logits.dtype) if total else by_row), grad


def backward(grad, g, scale):
    """grad * g * scale, with g a number (0-d), one value per row (n, 1) or per element."""
    return grad * (g * grad.dtype.type(scale))
