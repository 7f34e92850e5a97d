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
    np.testing.assert_allclose(out.numpy(), reference(*inputs), rtol=rtol, atol=1e-12)
    assert out.dtype == np.float64
    assert gradcheck(fn, *inputs)
    if double:
        assert gradgradcheck(fn, *inputs)
