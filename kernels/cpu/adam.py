"""One Adam step for one parameter, in place:

    g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

Three passes. LLVM vectorizes Numba's sqrt but not its float division here (no SVML):
for 650k float32 numbers a Numba loop with a division took 409 us, NumPy's divide 60 us,
a Numba loop with sqrt 54 us, NumPy's sqrt 187 us (bench/kernels.py measures Adam whole).
So: a Numba pass for the moments and the denominator, NumPy's divide, a Numba pass for p.
Every scalar is computed in float64 and cast to the parameter's dtype, so a float32 step
stays float32.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _moments_and_denominator(p, g, m, v, b1, a1, b2, a2, wd, inv_c2, eps, denom):
    for i in range(p.size):
        gi = g[i] + wd * p[i]
        m[i] = b1 * m[i] + a1 * gi
        vi = b2 * v[i] + a2 * gi * gi
        v[i] = vi
        denom[i] = np.sqrt(vi * inv_c2) + eps


@njit(cache=True)
def _apply(p, ratio, step):
    for i in range(p.size):
        p[i] -= step * ratio[i]


def step(p, g, m, v, lr, b1, b2, eps, weight_decay, t, scratch):
    """Update the arrays p, m, v (C-contiguous, one dtype) in place; ``scratch`` is an
    array of p's shape and dtype whose contents are overwritten."""
    d = p.dtype.type
    flat = scratch.reshape(-1)
    # 1 - b in float64, then cast: float32(1) - float32(0.999) is off by 5e-5 relative
    _moments_and_denominator(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), d(b1), d(1 - b1),
                             d(b2), d(1 - b2), d(weight_decay), d(1 / (1 - b2 ** t)), d(eps), flat)
    np.divide(m.reshape(-1), flat, out=flat)
    _apply(p.reshape(-1), flat, d(lr / (1 - b1 ** t)))
