"""Dense layer on the GPU. Eagerly: cuBLAS GEMM into a preallocated buffer, then one fused
bias + activation kernel; backward fuses act'(y) with the bias-gradient column sums
(per-block shared-memory reduction, one atomic per block and column), and dX, dW come from
cuBLAS on transposed views. Inside a CUDA-graph capture, where CuPy refuses cuBLAS, the
three products are our own GEMM (gemm.py), with bias and activation in its epilogue; so are
they everywhere when TF32 is asked for (``set_tf32``)."""
import cupy as cp
import numpy as np

from ..activations import CODES
from ..registry import tf32
from .gemm import gemm
from .module import THREADS, blocks, contiguous, kernel


def own_gemm():
    return tf32() or cp.cuda.get_current_stream().is_capturing()


def forward(x, W, b, activation, slope=0.01):
    if own_gemm():
        return gemm(x, W, bias=b, activation=activation, slope=slope, tf32=tf32())
    y = cp.empty((x.shape[0], W.shape[1]), dtype=cp.result_type(x, W))
    cp.matmul(x, W, out=y)
    n, m = y.shape
    if y.size == 0:
        return y
    kernel("dense_bias_act", y.dtype)(
        blocks(n * m), (THREADS,),
        (y, contiguous(b, y.dtype), np.int64(n), np.int32(m), np.int32(CODES[activation]), y.dtype.type(slope)))
    return y


def backward(x, W, y, gy, activation, slope=0.01, need=(True, True, True)):
    n, m = y.shape
    gy = contiguous(gy, y.dtype)
    gz = cp.empty_like(gy)
    db = cp.zeros(m, y.dtype)
    if y.size:   # else nothing to sum (a zero-size grid is an error)
        grid = ((m + 31) // 32, min((n + 7) // 8, 128))
        kernel("dense_act_grad_bias", y.dtype)(
            grid, (32, 8), (gy, y, gz, db, np.int32(n), np.int32(m), np.int32(CODES[activation]), y.dtype.type(slope)))
    if own_gemm():
        dx = gemm(gz, W, trans_b=True, tf32=tf32()) if need[0] else None
        dw = gemm(x, gz, trans_a=True, tf32=tf32()) if need[1] else None
    else:
        dx = gz @ W.T if need[0] else None
        dw = x.T @ gz if need[1] else None
    return dx, dw, (db if need[2] else None)
