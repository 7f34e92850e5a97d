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
