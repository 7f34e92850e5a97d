"""Philox4x32-10 normals and uniforms on the GPU, one launch, the draw's offset read from (and bumped in)
device memory, so that both launches can be captured in a CUDA graph. See minivae/philox.py
for the algorithm and its NumPy/CuPy reference."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, kernel


def normal(shape, seed, offset, dtype=np.float32):
    """A draw of normals; ``offset`` is a one-element uint64 CuPy array, bumped after."""
    out = cp.empty(shape, dtype)
    n = out.size
    kernel("philox_normal", dtype)(blocks((n + 3) // 4), (THREADS,), (out, np.int64(n), np.uint64(seed), offset))
    kernel("advance_counter")((1,), (1,), (offset,))
    return out


def uniform(shape, seed, offset, dtype=np.float32):
    """A draw of uniforms in (0, 1), the words in order as ``Philox.uniform``."""
    out = cp.empty(shape, dtype)
    n = out.size
    kernel("philox_uniform", dtype)(blocks((n + 3) // 4), (THREADS,), (out, np.int64(n), np.uint64(seed), offset))
    kernel("advance_counter")((1,), (1,), (offset,))
    return out
