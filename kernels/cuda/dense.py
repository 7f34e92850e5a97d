"""Dense layer on the GPU. Eagerly: cuBLAS GEMM into a preallocated buffer, then one fused
bias + activation kernel; backward fuses act'(y) with the bias-gradient column sums
(per-block shared-memory sums, added in block order by each column group's last block: no
zero fill, the same sum on every run), and dX, dW come from
cuBLAS on transposed views. Where our own GEMM computes a product (inside a CUDA-graph
capture, or with TF32: products.py chooses), bias and activation are in its epilogue."""
import cupy as cp
import numpy as np

from ..activations import CODES
from ..registry import tf32
from .gemm import gemm
from .module import THREADS, blocks, contiguous, kernel, tickets
from .products import product, route


def own_gemm():
    """Whether a product made now is our GEMM's (a profile names what ran)."""
    return route(1, 1, 1) == "own"


def forward(x, W, b, activation, slope=0.01):
    how = route(x.shape[0], W.shape[1], x.shape[1])
    if how == "own":
        return gemm(x, W, bias=b, activation=activation, slope=slope, tf32=tf32())
    if how == "cublas":
        y = product(x, W)
    else:
        y = cp.empty((x.shape[0], W.shape[1]), dtype=cp.result_type(x, W))
        cp.matmul(x, W, out=y)
    n, m = y.shape
    if y.size == 0:
        return y
    kernel("dense_bias_act", y.dtype)(
        blocks(n * m), (THREADS,),
        (y, contiguous(b, y.dtype), np.int64(n), np.int32(m), np.int32(CODES[activation]), y.dtype.type(slope)))
    return y


def backward(x, W, y, gy, activation, slope=0.01, need=(True, True, True), into=None):
    """(dX, dW, db) for the needed inputs, None for the rest; dW and db written into
    ``into[1]``, ``into[2]`` where given (the engine's gradient slots)."""
    _, w_into, b_into = into or (None, None, None)
    n, m = y.shape
    gy = contiguous(gy, y.dtype)
    gz = cp.empty_like(gy)
    if y.size:   # else nothing to sum (a zero-size grid is an error)
        db = cp.empty(m, y.dtype) if b_into is None else b_into
        grid = ((m + 31) // 32, min((n + 7) // 8, 128))
        partial = cp.empty((grid[1], m), y.dtype)
        kernel("dense_act_grad_bias", y.dtype)(
            grid, (32, 8), (gy, y, gz, db, partial, tickets(grid[0]), np.int32(n), np.int32(m),
                            np.int32(CODES[activation]), y.dtype.type(slope)))
    elif b_into is None:
        db = cp.zeros(m, y.dtype)
    else:
        db = b_into
        db[...] = 0
    dx = product(gz, W, trans_b=True) if need[0] else None
    dw = product(x, gz, trans_a=True, out=w_into) if need[1] else None
    return dx, dw, (db if need[2] else None)
