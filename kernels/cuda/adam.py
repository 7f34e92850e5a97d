"""Adam on the GPU: one elementwise pass over p, g, m, v, as on the CPU."""
import numpy as np

from .module import THREADS, blocks, contiguous, kernel


def step(p, g, m, v, lr, b1, b2, eps, weight_decay, t):
    """Update p, m, v (C-contiguous, one dtype) in place."""
    d = p.dtype.type
    kernel("adam_step", p.dtype)(
        blocks(p.size), (THREADS,),
        (p, contiguous(g, p.dtype), m, v, np.int64(p.size), d(lr / (1 - b1 ** t)), d(b1), d(1 - b1),
         d(b2), d(1 - b2), d(eps), d(weight_decay), d(1 / (1 - b2 ** t))))
