"""Philox4x32-10 normals and uniforms on the GPU, one launch, the draw's offset read from (and bumped in)
device memory, so that both launches can be captured in a CUDA graph. See minivae/philox.py
for the algorithm and its NumPy/CuPy reference."""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, kernel


def _draw(name, shape, seed, offset, dtype):
    """One draw from kernel ``name``; ``offset`` is a one-element uint64 CuPy array, bumped after."""
    out = cp.empty(shape, dtype)
    n = out.size
    if n:   # an empty draw still takes its offset, as the reference's does
        kernel(name, dtype)(blocks((n + 3) // 4), (THREADS,), (out, np.int64(n), np.uint64(seed), offset))
    kernel("advance_counter")((1,), (1,), (offset,))
    return out


def normal(shape, seed, offset, dtype=np.float32):
    """A draw of normals (Box-Muller on pairs of words, as ``Philox.normal``)."""
    return _draw("philox_normal", shape, seed, offset, dtype)


def uniform(shape, seed, offset, dtype=np.float32):
    """A draw of uniforms in (0, 1), the words in order as ``Philox.uniform``."""
    return _draw("philox_uniform", shape, seed, offset, dtype)
