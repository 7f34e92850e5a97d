"""Hand-written kernels: Numba on the CPU, CUDA through CuPy on the GPU.

Installed as ``minivae.kernels``; ``on(device)`` is a device's kernels (kernels/cpu,
kernels/cuda), one module each with the same names. Each kernel computes the same function
as the NumPy/CuPy reference path of its op in ``minivae.ops``; ``set_kernels("reference" | "fast")`` (or the
environment variable ``MINIVAE_KERNELS``) chooses between them.
"""
from .registry import (graph_gemm, implementation, kernel_for, kernel_info, kernel_mode, on, set_graph_gemm, set_kernels,
                       set_tf32, tf32)
