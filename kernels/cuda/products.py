"""Which library computes a matrix product on the GPU, in one place (the dense layer and the
convolutions ask here):

- eagerly, cuBLAS through CuPy;
- with TF32 asked for (``set_tf32``), our GEMM on tensor cores (gemm.py);
- inside a CUDA-graph capture, where CuPy refuses cuBLAS: our GEMM;
- with ``set_graph_gemm("cublas")``, in a capture or with TF32, cuBLAS through ctypes
  (cublas.py, TF32 math where asked) for every product of CUBLAS_FLOPS or more (smaller
  ones stay ours: a launch of either costs about the same).
"""
import cupy as cp

from ..registry import graph_gemm, tf32
from . import cublas
from .gemm import gemm

CUBLAS_FLOPS = 5e8


def route(m, n, k):
    """"cupy", "own" or "cublas" for an (m x k) @ (k x n) product made now."""
    cublas_here = graph_gemm() == "cublas" and 2 * m * n * k >= CUBLAS_FLOPS
    if not tf32() and not cp.cuda.get_current_stream().is_capturing():
        return "cupy"
    return "cublas" if cublas_here else "own"


def product(a, b, trans_a=False, trans_b=False, out=None):
    """op(a) @ op(b) by the library ``route`` names, into ``out`` where given (C-contiguous,
    of the product's shape and dtype)."""
    m, k = a.shape[::-1] if trans_a else a.shape
    n = b.shape[0] if trans_b else b.shape[1]
    how = route(m, n, k)
    if how == "own":
        return gemm(a, b, trans_a, trans_b, tf32=tf32(), out=out)
    if how == "cublas":
        return cublas.gemm(a, b, trans_a, trans_b, tf32=tf32(), out=out)
    return cp.matmul(a.T if trans_a else a, b.T if trans_b else b, out=out)
