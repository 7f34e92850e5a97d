"""Hypothesis strategies and checks shared by the op tests."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minivae import tensor
from minivae.testing import gradcheck, gradgradcheck

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
matrix_shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)


@st.composite
def arrays(draw, shape=shapes, low=-2.0, high=2.0):
    """float64 arrays of a drawn shape; sometimes a non-contiguous view (strided or transposed)."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    layout = draw(st.sampled_from(["contiguous", "strided", "transposed"])) if shape else "contiguous"
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if layout == "strided":
        big = rng.uniform(low, high, shape[:-1] + (2 * shape[-1],))
        return big[..., ::2]
    if layout == "transposed":
        return rng.uniform(low, high, shape[::-1]).T
    return rng.uniform(low, high, shape)


@st.composite
def broadcast_pair(draw, low=-2.0, high=2.0):
    """Two arrays of mutually broadcastable shapes, such as (m, 1) and (1, n)."""
    a, b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)).input_shapes
    return draw(arrays(a, low, high)), draw(arrays(b, low, high))


def check(fn, reference, *inputs, double=True, rtol=1e-6):
    """fn's forward equals the NumPy reference; its gradient (and the gradient of its
    gradient) matches finite differences."""
    out = fn(*(tensor(x, dtype=np.float64) for x in inputs))
    expected = reference(*inputs)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=1e-12)
    assert out.dtype == np.float64
    assert gradcheck(fn, *inputs)
    if double:
        assert gradgradcheck(fn, *inputs)


def both_paths(fn, *arrays, seed=0):
    """Run ``fn`` on the fast and on the reference kernel path with the same inputs and the
    same random output weights: {path: (outputs, input gradients)} as NumPy arrays."""
    from minivae import set_kernels
    from minivae.kernels import kernel_mode
    previous, results = kernel_mode(), {}
    try:
        for mode in ("fast", "reference"):
            set_kernels(mode)
            xs = [tensor(a, requires_grad=True, dtype=a.dtype) for a in arrays]
            outs = fn(*xs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            rng = np.random.default_rng(seed)
            total = None
            for y in outs:
                if y.requires_grad:
                    term = (y * rng.standard_normal(y.shape).astype(y.dtype)).sum()
                    total = term if total is None else total + term
            total.backward()
            results[mode] = ([y.numpy() for y in outs],
                             [None if x.grad is None else x.grad.numpy() for x in xs])
    finally:
        set_kernels(previous)
    return results


def assert_paths_agree(results, rtol, atol=0.0):
    fast, ref = results["fast"], results["reference"]
    for a, b in zip(fast[0] + fast[1], ref[0] + ref[1]):
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


dtypes = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


@st.composite
def matrices(draw, rows, cols, dtype, low=-2.0, high=2.0):
    """A (rows, cols) array of ``dtype``, sometimes strided or transposed."""
    return _layout(draw, draw(arrays((rows, cols), low, high)), dtype)


def _layout(draw, a, dtype):
    a = a.astype(dtype)
    kind = draw(st.sampled_from(["contiguous", "transposed", "strided"]))
    if kind == "transposed":
        return np.ascontiguousarray(a.T).T
    if kind == "strided":
        big = np.zeros((a.shape[0], 2 * a.shape[1]), dtype)
        big[:, ::2] = a
        return big[:, ::2]
    return a
