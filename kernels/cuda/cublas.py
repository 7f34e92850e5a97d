"""cuBLAS called through ctypes on CuPy's handle, so that a product can be recorded in a
CUDA graph: CuPy refuses its own cuBLAS calls inside a stream capture as a policy of its
own, while cuBLAS itself supports capture (given a workspace of its own, set here once per
handle, so that it allocates nothing while recording).

Row-major C (m x n) = op(A) op(B) is, read column-major, C^T = op(B)^T op(A)^T: cuBLAS is
asked for that product of B and A with their roles and flags swapped, each with its own
row length as leading dimension, and writes C in place.
"""
import ctypes
import ctypes.util
import functools

import cupy as cp
import numpy as np

from .module import destination

OP_N, OP_T = 0, 1
DEFAULT_MATH, TF32_MATH = 0, 3   # cublasMath_t: CUBLAS_DEFAULT_MATH, CUBLAS_TF32_TENSOR_OP_MATH
WORKSPACE_BYTES = 32 << 20   # cuBLAS's advice for Hopper; enough for earlier GPUs
_workspaces = {}             # handle -> its workspace, alive as long as the process


@functools.lru_cache(maxsize=None)
def _library():
    """The libcublas CuPy loaded (named by the process's own maps), else the system's."""
    import cupy_backends.cuda.libs.cublas  # noqa: F401  (loads libcublas into this process)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libcublas.so" in line and "Lt" not in line.split("/")[-1]}
    path = min(paths, default=None) or ctypes.util.find_library("cublas")
    if path is None:
        raise OSError("cuBLAS: libcublas is not loaded and not found")
    library = ctypes.CDLL(path)
    for name in ("cublasSgemm_v2", "cublasDgemm_v2"):
        getattr(library, name).restype = ctypes.c_int
    return library


def _ptr(array):
    return array.data.ptr


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"cuBLAS {what} failed with status {status}")


def _prepare(library, handle, stream):
    """The handle on this stream, with a workspace of its own (cuBLAS then allocates nothing
    inside a capture)."""
    _check(library.cublasSetStream_v2(ctypes.c_void_p(handle), ctypes.c_void_p(stream)), "SetStream")
    if handle not in _workspaces:
        space = cp.empty(WORKSPACE_BYTES, cp.uint8)
        _check(library.cublasSetWorkspace_v2(ctypes.c_void_p(handle), ctypes.c_void_p(_ptr(space)),
                                             ctypes.c_size_t(WORKSPACE_BYTES)), "SetWorkspace")
        _workspaces[handle] = space


def gemm(a, b, trans_a=False, trans_b=False, tf32=False, out=None):
    """op(a) @ op(b) for 2-D C-contiguous float32 or float64 CuPy arrays, on the current
    stream, capturable. ``tf32``: float32 products on tensor cores (CUBLAS_TF32_TENSOR_OP_MATH,
    set for this call and then restored on CuPy's shared handle). ``out``: where to write it
    (C-contiguous, of the result's shape and dtype)."""
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = cp.ascontiguousarray(a, dtype=dtype), cp.ascontiguousarray(b, dtype=dtype)
    m, k = a.shape[::-1] if trans_a else a.shape
    k2, n = b.shape[::-1] if trans_b else b.shape
    if k != k2:
        raise ValueError(f"gemm: inner dimensions differ: {a.shape}{'^T' * trans_a} @ {b.shape}{'^T' * trans_b}")
    out = destination(out, (m, n), dtype, "cublas gemm")
    if out.size == 0:
        return out
    if k == 0:
        out[...] = 0
        return out
    library = _library()
    handle = cp.cuda.device.get_cublas_handle()
    _prepare(library, handle, cp.cuda.get_current_stream().ptr)
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    call = library.cublasSgemm_v2 if dtype == np.float32 else library.cublasDgemm_v2
    one, zero = scalar(1.0), scalar(0.0)
    mode = TF32_MATH if tf32 and dtype == np.float32 else DEFAULT_MATH
    _check(library.cublasSetMathMode(ctypes.c_void_p(handle), mode), "SetMathMode")
    try:
        _check(call(ctypes.c_void_p(handle), OP_T if trans_b else OP_N, OP_T if trans_a else OP_N, n, m, k,
                    ctypes.byref(one), ctypes.c_void_p(_ptr(b)), b.shape[1], ctypes.c_void_p(_ptr(a)), a.shape[1],
                    ctypes.byref(zero), ctypes.c_void_p(_ptr(out)), n), "gemm")
    finally:
        _check(library.cublasSetMathMode(ctypes.c_void_p(handle), DEFAULT_MATH), "SetMathMode")
    return out
