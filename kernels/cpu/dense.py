"""Dense layer y = act(x @ W + b) on the CPU.

Forward: the GEMM through BLAS into a preallocated buffer, then one Numba pass that adds
the bias and applies the activation in place. Sigmoid is 1 / (1 + e) or e / (1 + e) with
e = exp(-|v|), exact in both tails; it and tanh come from ``vecmath`` so that the pass
vectorizes (without SVML, Numba's own tanh is a scalar libm call).
Backward: one Numba pass computes gz = gy * act'(y) from the saved output and, in the same
loop, the bias gradient db = sum over rows of gz; then dX = gz @ W^T and dW = x^T @ gz
through BLAS on transposed views (no copies).

Kernels are serial: BLAS owns the cores (see bench/threads.py for why). Their inputs are
made C-contiguous first: Numba's loops over strided arrays do not vectorize, and a
broadcast gradient (stride 0, as ``y.sum().backward()`` sends) ran 36x slower than a copy.
"""
import numpy as np
from numba import njit

from ..activations import CODES, LEAKY_RELU, RELU, SIGMOID, TANH
from .vecmath import exp, tanh


@njit(cache=True, error_model="numpy")
def _bias_act(y, b, act, slope):
    """y = act(y + b) in place."""
    n, m = y.shape
    zero, one = y.dtype.type(0), y.dtype.type(1)
    for i in range(n):
        for j in range(m):
            v = y[i, j] + b[j]
            if act == RELU:
                v = max(v, zero)
            elif act == SIGMOID:
                e = exp(-abs(v))
                v = (one if v >= zero else e) / (one + e)
            elif act == TANH:
                v = tanh(v)
            elif act == LEAKY_RELU:
                v = v if v > zero else slope * v
            y[i, j] = v


@njit(cache=True)
def _act_grad_bias(gy, y, act, slope, gz, db):
    n, m = gy.shape
    zero, one = y.dtype.type(0), y.dtype.type(1)
    db[:] = zero
    for i in range(n):
        for j in range(m):
            g = gy[i, j]
            if act == RELU:
                g = g if y[i, j] > zero else zero
            elif act == TANH:
                g = g * (one - y[i, j] * y[i, j])
            elif act == SIGMOID:
                g = g * y[i, j] * (one - y[i, j])
            elif act == LEAKY_RELU:   # y > 0 iff the input was, for slope >= 0 (ops/dense.py)
                g = g if y[i, j] > zero else slope * g
            gz[i, j] = g
            db[j] += g


def column_sums(g):
    """Sums over the rows of a C-contiguous matrix, as a GEMV with ones: NumPy's axis-0 sum
    does not vectorize across rows (0.41 against 0.04 ms for 25088 x 32 float32, 0.13
    against 0.02 ms for 6272 x 64, on the 2-core development machine)."""
    return np.ones(g.shape[0], g.dtype) @ g


def forward(x, W, b, activation, slope=0.01):
    y = np.empty((x.shape[0], W.shape[1]), dtype=np.result_type(x, W))
    np.matmul(x, W, out=y)
    _bias_act(y, np.ascontiguousarray(b, dtype=y.dtype), CODES[activation], y.dtype.type(slope))
    return y


def backward(x, W, y, gy, activation, slope=0.01, need=(True, True, True), into=None):
    """(dX, dW, db) for the needed inputs, None for the rest; dW and db written into
    ``into[1]``, ``into[2]`` where given (the engine's gradient slots)."""
    _, w_into, b_into = into or (None, None, None)
    gy = np.ascontiguousarray(gy, dtype=y.dtype)
    if activation == "identity":   # act' = 1: gz is gy itself, no copy
        gz, db = gy, None
        if need[2]:
            db = column_sums(gy)
            if b_into is not None:
                b_into[...] = db
                db = b_into
    else:
        gz = np.empty(gy.shape, dtype=y.dtype)
        db = np.empty(gy.shape[1], dtype=y.dtype) if b_into is None else b_into
        _act_grad_bias(gy, y, CODES[activation], y.dtype.type(slope), gz, db)
    dx = gz @ W.T if need[0] else None
    dw = np.matmul(x.T, gz, out=w_into) if need[1] else None
    return dx, dw, (db if need[2] else None)
