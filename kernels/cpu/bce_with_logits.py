"""Binary cross-entropy on logits: loss and gradient together, stable for any logit.

With e = exp(-|l|) and s = log1p(e):
    loss     = max(l, 0) - l t + s
    dloss/dl = sigmoid(l) - t = exp(min(l, 0) - s) - t

Without SVML, Numba's exp and log1p are scalar libm calls, several times slower than
NumPy's SIMD ufuncs (bench/kernels.py measures both). So the two transcendental passes
go through NumPy into preallocated buffers, and one Numba pass does the rest of the
arithmetic; the gradient's exp is taken in place. Five passes over the data, against
about fifteen for the composite of plain ops.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _neg_abs(l, out):
    n, m = l.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = -abs(l[i, j])


@njit(cache=True)
def _loss_and_exponent(l, t, s, loss, expo):
    """loss = max(l, 0) - l t + s;  expo = min(l, 0) - s  (so that exp(expo) = sigmoid(l))."""
    n, m = l.shape
    zero = l.dtype.type(0)
    for i in range(n):
        for j in range(m):
            v = l[i, j]
            loss[i, j] = max(v, zero) - v * t[i, j] + s[i, j]
            expo[i, j] = min(v, zero) - s[i, j]


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _loss_sum_and_exponent(l, t, s, expo):
    """As _loss_and_exponent, but the loss is summed (in float64) instead of stored.
    Reassociation lets the sum vectorize: 121 us against 675 us in order, for 1024x784,
    the same total to 1e-11 relative."""
    n, m = l.shape
    zero = l.dtype.type(0)
    total = 0.0
    for i in range(n):
        for j in range(m):
            v = l[i, j]
            total += max(v, zero) - v * t[i, j] + s[i, j]
            expo[i, j] = min(v, zero) - s[i, j]
    return total


def forward(logits, target, total=False):
    """(elementwise loss, d loss / d logits) for 2-D inputs; with ``total`` the loss comes
    back summed, as a 0-d array, and is never stored elementwise."""
    logits = np.ascontiguousarray(logits)   # strided loops do not vectorize
    target = np.ascontiguousarray(target, dtype=logits.dtype)
    s = np.empty(logits.shape, logits.dtype)
    _neg_abs(logits, s)
    np.exp(s, out=s)
    np.log1p(s, out=s)
    grad = np.empty_like(s)
    if total:
        loss = np.asarray(_loss_sum_and_exponent(logits, target, s, grad), dtype=logits.dtype)
    else:
        loss = np.empty_like(s)
        _loss_and_exponent(logits, target, s, loss, grad)
    np.exp(grad, out=grad)
    np.subtract(grad, target, out=grad)
    return loss, grad
