"""Check analytic gradients against central finite differences.

The function's outputs are folded into one scalar s = sum_j <w_j, f_j(x)> with fixed
random weights w_j, so one backward pass gives every input's gradient. Then either
  * elementwise: each entry of ds/dx against (s(x + h e_i) - s(x - h e_i)) / 2h, or
  * random directions: <ds/dx, d> against (s(x + h d) - s(x - h d)) / 2h for a few
    random d, which costs two evaluations per direction whatever the input size.
"""
import numpy as np

from ..core import Node, grad
from ..ops import Tensor

# (step h, atol, rtol) per dtype: float32 needs a larger step and looser tolerances
TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-5, 1e-3), np.dtype(np.float32): (1e-2, 1e-2, 5e-2)}


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, *inputs, mode="auto", n_directions=4, eps=None, atol=None, rtol=None,
              dtype=np.float64, seed=0, max_elementwise=256):
    """True if the gradients of ``fn`` at ``inputs`` match finite differences; else raise
    ``GradcheckError`` naming the worst mismatch.

    ``inputs`` are arrays or tensors; they are cast to ``dtype`` (float64 by default) and
    differentiated. ``mode`` is ``"elementwise"``, ``"random"``, or ``"auto"``
    (elementwise when the inputs hold at most ``max_elementwise`` numbers).
    """
    h, default_atol, default_rtol = TOLERANCES[np.dtype(dtype)]
    h, atol, rtol = eps or h, atol or default_atol, rtol or default_rtol
    rng = np.random.default_rng(seed)
    # asarray keeps a strided (non-contiguous) input as it is for the analytic pass
    xs = [Tensor(np.asarray(_array(x), dtype=dtype), requires_grad=True) for x in inputs]

    outputs = _outputs(fn(*xs))
    weights = [rng.standard_normal(y.shape).astype(dtype) for y in outputs]

    def scalar(arrays):  # inputs still require grad: fn may differentiate inside (gradgradcheck)
        ys = _outputs(fn(*(Tensor(a, requires_grad=True) for a in arrays)))
        return float(sum(np.sum(w * y.numpy()) for w, y in zip(weights, ys)))

    s = sum((y * w).sum() for y, w in zip(outputs, weights) if y.requires_grad)
    if not isinstance(s, Node):
        raise GradcheckError("gradcheck: no output depends on the inputs")
    analytic = [np.zeros(x.shape, dtype) if g is None else g.numpy()
                for x, g in zip(xs, grad(s, xs, allow_unused=True))]
    base = [np.array(x.numpy()) for x in xs]

    if mode == "auto":
        mode = "elementwise" if sum(x.size for x in xs) <= max_elementwise else "random"
    if mode == "elementwise":
        checks = _elementwise(scalar, base, analytic, h)
    elif mode == "random":
        checks = _directions(scalar, base, analytic, h, n_directions, rng)
    else:
        raise ValueError(f"gradcheck: mode must be 'auto', 'elementwise' or 'random', got {mode!r}")

    worst = max(checks, key=lambda c: abs(c[1] - c[2]) - (atol + rtol * abs(c[2])))
    where, a, n = worst
    if abs(a - n) > atol + rtol * abs(n):
        raise GradcheckError(f"gradcheck: analytic {a:.6g} vs numeric {n:.6g} at {where} "
                             f"(|diff| {abs(a - n):.3g} > atol {atol:g} + rtol {rtol:g} * |numeric|)")
    return True


def gradgradcheck(fn, *inputs, seed=1, **kwargs):
    """gradcheck of the first gradient g(x, v) = J(x)^T v, as a function of both the inputs
    x and the output weights v: checks that backward is itself differentiated right, also
    for ops whose gradient does not depend on x."""
    dtype = kwargs.get("dtype", np.float64)
    rng = np.random.default_rng(seed)
    n = len(inputs)
    xs = [Tensor(np.asarray(_array(x), dtype=dtype)) for x in inputs]
    vs = [rng.standard_normal(y.shape).astype(dtype) for y in _outputs(fn(*xs))]

    def first_grads(*args):
        xs, vs = args[:n], args[n:]
        s = sum((y * v).sum() for y, v in zip(_outputs(fn(*xs)), vs))
        return tuple(g for g in grad(s, xs, create_graph=True, allow_unused=True) if g is not None)

    return gradcheck(first_grads, *inputs, *vs, seed=seed, **kwargs)


def _array(x):
    return x.numpy() if isinstance(x, Node) else x


def _outputs(y):
    return tuple(y) if isinstance(y, (tuple, list)) else (y,)


def _elementwise(scalar, base, analytic, h):
    for k, x in enumerate(base):
        for i in np.ndindex(x.shape):
            plus, minus = [b.copy() for b in base], [b.copy() for b in base]
            plus[k][i] += h
            minus[k][i] -= h
            yield (f"input {k} index {i}", analytic[k][i], (scalar(plus) - scalar(minus)) / (2 * h))


def _directions(scalar, base, analytic, h, n, rng):
    for j in range(n):
        d = [rng.standard_normal(x.shape).astype(x.dtype) for x in base]
        numeric = (scalar([x + h * dx for x, dx in zip(base, d)])
                   - scalar([x - h * dx for x, dx in zip(base, d)])) / (2 * h)
        yield (f"random direction {j}", sum(float(np.sum(a * dx)) for a, dx in zip(analytic, d)), numeric)
