"""Adam on the GPU: one elementwise pass over p, g, m, v, as on the CPU."""
import numpy as np

from .module import THREADS, blocks, contiguous, kernel


def step(p, g, m, v, lr, b1, b2, eps, weight_decay, t, v_max=None):
    """Update p, m, v (and v_max, for amsgrad) in place: C-contiguous, one dtype."""
    if p.size == 0:
        return
    d = p.dtype.type
    scalars = (np.int64(p.size), d(lr / (1 - b1 ** t)), d(b1), d(1 - b1), d(b2), d(1 - b2), d(eps),
               d(weight_decay), d(1 / (1 - b2 ** t)))
    g = contiguous(g, p.dtype)
    if v_max is None:
        kernel("adam_step", p.dtype)(blocks(p.size), (THREADS,), (p, g, m, v) + scalars)
    else:
        kernel("adam_amsgrad_step", p.dtype)(blocks(p.size), (THREADS,), (p, g, m, v, v_max) + scalars)


def step_counted(p, g, m, v, lr, b1, b2, eps, weight_decay, step, gate=None):
    """One Adam step whose count lives in ``step`` (a one-element uint64 CuPy array): it is
    bumped first, then read by the update, so both launches can be captured in a CUDA graph
    and every replay applies the next step's bias corrections. ``gate``, a one-element
    array (the step's loss): where it is not finite, neither launch changes anything."""
    d = p.dtype.type
    gated = np.int32(gate is not None)
    gate = p if gate is None else contiguous(gate.reshape(1), p.dtype)   # p: any array of T, not read
    kernel("advance_step", p.dtype)((1,), (1,), (step, gate, gated))
    if p.size == 0:
        return
    kernel("adam_step_counted", p.dtype)(
        blocks(p.size), (THREADS,),
        (p, contiguous(g, p.dtype), m, v, np.int64(p.size), np.float64(lr), np.float64(b1), np.float64(b2),
         d(eps), d(weight_decay), step, gate, gated))
