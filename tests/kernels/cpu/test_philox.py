"""The Numba Philox against the NumPy reference of minivae/philox.py: the same words bit for
bit at any length, key and offset, and the same normals."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minivae.kernels.cpu import philox as fast
from minivae.philox import Philox
from minivae.kernels.registry import set_kernels


def _reference(draw, *args):
    set_kernels("reference")
    try:
        return draw(*args)
    finally:
        set_kernels("fast")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 41), st.integers(0, 2 ** 64 - 1), st.integers(0, 2 ** 64 - 1))
def test_words_are_the_references_bits(n, key, offset):
    want = _reference(lambda: Philox(key, offset=offset).words(n))
    got = fast.words(n, key, offset)
    assert got.dtype == np.uint32 and np.array_equal(got, want)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1001])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normals_are_the_references(n, dtype):
    want = _reference(lambda: Philox(11, offset=3).normal(n, dtype=dtype))
    got = fast.normal(n, 11, 3, dtype)
    assert got.dtype == dtype and got.shape == (n,)
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == np.float64 else 1e-6, atol=1e-12)


def test_the_generator_takes_one_offset_per_draw_on_either_path():
    a = Philox(5)
    first, second = a.normal((3, 4)), a.normal(6)
    ref = _reference(lambda: (lambda g: (g.normal((3, 4)), g.normal(6), g.offset))(Philox(5)))
    np.testing.assert_allclose(first, ref[0], rtol=1e-6)
    np.testing.assert_allclose(second, ref[1], rtol=1e-6)
    assert a.offset == ref[2] == 2
