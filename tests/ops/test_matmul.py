import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
from strategies import arrays, check


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.data())
def test_matmul_2d(m, k, n, data):
    a, b = data.draw(arrays((m, k))), data.draw(arrays((k, n)))
    check(lambda a, b: a @ b, np.matmul, a, b, rtol=1e-10)


@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_matmul_vectors(k, n, data):
    a, b, v = data.draw(arrays((k,))), data.draw(arrays((k, n))), data.draw(arrays((n,)))
    check(lambda a, b: a @ b, np.matmul, a, b, rtol=1e-10)
    check(lambda b, v: b @ v, np.matmul, b, v, rtol=1e-10)
    check(lambda a, c: a @ c, np.matmul, a, a.copy(), rtol=1e-10)


@given(st.data())
def test_matmul_batched_broadcast(data):
    a, b = data.draw(arrays((2, 3, 4))), data.draw(arrays((4, 2)))
    check(lambda a, b: a @ b, np.matmul, a, b, rtol=1e-10)


def test_matmul_shape_error():
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(2, 3\) @ \(4, 5\)"):
        mv.tensor(np.ones((2, 3))) @ mv.tensor(np.ones((4, 5)))


def test_vector_at_vector_is_a_scalar():
    a = mv.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mv.tensor([4.0, -5.0, 6.0], requires_grad=True)
    y = a @ b
    assert y.shape == () and y.item() == 12.0
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), a.numpy())
