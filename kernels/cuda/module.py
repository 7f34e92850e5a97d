"""Loads fused.cu once per process through CuPy (NVRTC; CuPy caches the binary on disk)
and hands out its kernels by name and dtype, with the launch helpers."""
import functools
import os

import cupy as cp
import numpy as np

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fused.cu")
KERNELS = ("dense_bias_act", "dense_act_grad_bias", "reparameterize_kl_forward",
           "reparameterize_kl_backward", "iwae_weights", "bce_with_logits", "adam_step", "adam_amsgrad_step", "philox_normal",
           "philox_uniform", "adam_step_counted", "im2col", "col2im", "gemm_split_k_sum", "advance_step")
CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
PLAIN = ("advance_counter",)   # extern "C" kernels, looked up by their own names
THREADS = 256


@functools.lru_cache(maxsize=None)
def _module():
    with open(SOURCE) as f:
        code = f.read()
    names = [f"{k}<{t}>" for k in KERNELS for t in CTYPES.values()]
    names += [gemm_name(t, ta, tb) for t in CTYPES.values() for ta, tb in GEMM_VARIANTS]
    names += [gemm_name("tf32", ta, tb) for ta, tb in GEMM_VARIANTS]
    return cp.RawModule(code=code, options=("-std=c++17",), name_expressions=names)


GEMM_VARIANTS = ((False, False), (False, True), (True, False))   # op(A) op(B): the dense layer's three products


def gemm_name(ctype, trans_a, trans_b):
    """The kernel for a dtype's C type, or "tf32" for the tensor-core one (float only)."""
    ta, tb = str(trans_a).lower(), str(trans_b).lower()
    return f"gemm_tf32_bias_act<{ta}, {tb}>" if ctype == "tf32" else f"gemm_bias_act<{ctype}, {ta}, {tb}>"


def kernel(name, dtype=None):
    """A kernel by name: a template's instance for ``dtype``, or a plain kernel (PLAIN)."""
    return _module().get_function(name if dtype is None else f"{name}<{CTYPES[np.dtype(dtype)]}>")


def blocks(size, threads=THREADS):
    """A grid for a grid-stride loop over ``size`` elements."""
    return (max(1, min((size + threads - 1) // threads, 8192)),)


def contiguous(a, dtype):
    return cp.ascontiguousarray(a, dtype=dtype)
