"""Loads the CUDA sources here once per process through CuPy (NVRTC; CuPy caches the binary
on disk) as one module, common.cuh and then each subject's .cu file, and hands out its
kernels by name and dtype, with the launch helpers. The names come from the sources: every
``template <typename T> __global__`` kernel, instantiated for float and double, and every
``extern "C"`` one under its own name."""
import functools
import os
import re

import cupy as cp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COMMON = "common.cuh"


def source():
    """common.cuh once, then every .cu file here in name order, their includes of it dropped."""
    parts = []
    for name in [COMMON] + sorted(n for n in os.listdir(HERE) if n.endswith(".cu")):
        with open(os.path.join(HERE, name)) as f:
            parts.append(f.read().replace(f'#include "{COMMON}"\n', ""))
    return "\n".join(parts)


KERNELS = tuple(re.findall(r"template\s*<typename T>\s*__global__\s+void\s+(\w+)", source()))   # per dtype
PLAIN = tuple(re.findall(r'extern "C"\s+__global__\s+void\s+(\w+)', source()))   # by their own names
CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
THREADS = 256


@functools.lru_cache(maxsize=None)
def _module():
    code = source()
    names = [f"{k}<{t}>" for k in KERNELS for t in CTYPES.values()]
    names += [gemm_name("float", ta, tb, bm, bn) for bm, bn in GEMM_TILES for ta, tb in GEMM_VARIANTS]
    names += [gemm_name("double", ta, tb) for ta, tb in GEMM_VARIANTS]
    names += [gemm_name("tf32", ta, tb) for ta, tb in GEMM_VARIANTS]
    return cp.RawModule(code=code, options=("-std=c++17",), name_expressions=names)


GEMM_VARIANTS = ((False, False), (False, True), (True, False))   # op(A) op(B): the dense layer's three products
GEMM_TILES = ((128, 128), (128, 64), (64, 64))   # (BM, BN) of the fp32 GEMM (gemm.cu); float64 has 64 x 64 only


def gemm_name(ctype, trans_a, trans_b, bm=64, bn=64):
    """The kernel for a dtype's C type and a tile, or "tf32" for the tensor-core one (float
    only, one tile)."""
    ta, tb = str(trans_a).lower(), str(trans_b).lower()
    return f"gemm_tf32_bias_act<{ta}, {tb}>" if ctype == "tf32" else f"gemm_bias_act<{ctype}, {ta}, {tb}, {bm}, {bn}>"


def kernel(name, dtype=None):
    """A kernel by name: a template's instance for ``dtype``, or a plain kernel (PLAIN)."""
    return _module().get_function(name if dtype is None else f"{name}<{CTYPES[np.dtype(dtype)]}>")


def blocks(size, threads=THREADS):
    """A grid for a grid-stride loop over ``size`` elements."""
    return (max(1, min((size + threads - 1) // threads, 8192)),)


def contiguous(a, dtype):
    return cp.ascontiguousarray(a, dtype=dtype)


def destination(out, shape, dtype, who):
    """``out`` checked to take a result of this shape and dtype, or a new array."""
    if out is None:
        return cp.empty(shape, dtype)
    if out.shape != tuple(shape) or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"{who}: out of shape {out.shape}, {out.dtype}"
                         f"{'' if out.flags.c_contiguous else ', not C-contiguous'}, for a {tuple(shape)} "
                         f"{np.dtype(dtype)} result")
    return out


_tickets = {}   # (device, stream) -> unsigned ints at 0


def tickets(count):
    """At least ``count`` unsigned ints at 0, for kernels that find their last block
    (common.cuh: last_block), each of which leaves them at 0 again. One set per stream, as
    kernels on one stream never overlap; made on the first eager call, since a zero fill
    made inside a CUDA-graph capture would only run at its replays."""
    stream = cp.cuda.get_current_stream()
    key = (cp.cuda.Device().id, getattr(stream, "ptr", 0))
    have = _tickets.get(key)
    if have is None or have.size < count:
        if stream.is_capturing():
            raise RuntimeError("a kernel's block tickets must be made before a CUDA-graph capture: "
                               "run the step once eagerly on this stream first")
        have = _tickets[key] = cp.zeros(max(count, 1024), cp.uint32)
    return have


def rows(a, dtype):
    """(a, its row stride in elements) for a kernel parameter read as rows X_ld apart: a 2-D
    view whose rows are contiguous (a column slice, such as the halves of the encoder's
    output) or a 1-D one (a broadcast value has stride 0) passes as it is; anything else is
    copied to a contiguous array first."""
    if a.dtype == dtype and a.ndim in (1, 2) and a.strides[0] % a.itemsize == 0 and a.strides[0] >= 0 and (
            a.ndim == 1 or a.shape[1] <= 1 or a.strides[1] == a.itemsize):
        return a, np.int32(a.strides[0] // a.itemsize)
    a = contiguous(a, dtype)
    return a, np.int32(a.shape[1] if a.ndim == 2 else 1)


def strides(a, dtype):
    """(a, its row stride, its column stride) in elements for a kernel that reads a 2-D
    parameter as P[i rows + j cols]: a transposed or broadcast view passes as it is."""
    if a.dtype != dtype or a.ndim != 2 or any(s % a.itemsize for s in a.strides):
        a = contiguous(a, dtype)
    return a, np.int32(a.strides[0] // a.itemsize), np.int32(a.strides[1] // a.itemsize)


def halves(n, d, dtype):
    """Two (n, d) views side by side in one new (n, 2d) array, and their row stride: where a
    kernel writes d mu and d logvar, so that the split's backward joins them without a copy."""
    both = cp.empty((n, 2 * d), dtype)
    return both[:, :d], both[:, d:], np.int32(2 * d)
