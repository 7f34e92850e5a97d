"""Our own GEMM on the GPU with the dense layer's epilogue (fused.cu: gemm_bias_act), for the
steps that must be captured in a CUDA graph, where CuPy refuses cuBLAS. Transposed operands
are read in place (kernel variants), never copied. fp32 (or fp64) arithmetic, or, opt-in
for float32, TF32 tensor cores (fused.cu states the error bound: about 2^-10 relative to
|op(A)| |op(B)|)."""
import cupy as cp
import numpy as np

from ..activations import CODES
from .module import CTYPES, GEMM_VARIANTS, contiguous, gemm_name, _module


def gemm(a, b, trans_a=False, trans_b=False, bias=None, activation="identity", slope=0.01, tf32=False):
    """act(op(a) @ op(b) + bias), op = transpose where asked; a, b 2-D CuPy arrays.
    ``tf32``: float32 inputs rounded to TF32 and multiplied on tensor cores (sm_80+)."""
    if (trans_a, trans_b) not in GEMM_VARIANTS:
        raise ValueError("gemm: op(A)^T op(B)^T is not a variant; transpose the product instead")
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = contiguous(a, dtype), contiguous(b, dtype)
    m, k = a.shape[::-1] if trans_a else a.shape
    k2, n = b.shape[::-1] if trans_b else b.shape
    if k != k2:
        raise ValueError(f"gemm: inner dimensions differ: {a.shape}{'^T' * trans_a} @ {b.shape}{'^T' * trans_b}")
    out = cp.empty((m, n), dtype)
    has_bias = bias is not None
    bias = contiguous(bias, dtype) if has_bias else cp.zeros(1, dtype)
    tf32 = tf32 and dtype == np.float32
    function = _module().get_function(gemm_name("tf32" if tf32 else CTYPES[np.dtype(dtype)], trans_a, trans_b))
    function(((n + 63) // 64, (m + 63) // 64), (128 if tf32 else 256,),
             (a, b, bias, out, np.int32(m), np.int32(n), np.int32(k), np.int32(a.shape[1]), np.int32(b.shape[1]),
              np.int32(has_bias), np.int32(CODES[activation]), dtype.type(slope)))
    return out
