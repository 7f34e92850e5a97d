import numpy as np
import pytest
from hypothesis import given

import minivae as mv
from strategies import arrays, broadcast_pair, check


@given(broadcast_pair())
def test_add(ab):
    check(lambda a, b: a + b, np.add, *ab)


@given(broadcast_pair())
def test_sub(ab):
    check(lambda a, b: a - b, np.subtract, *ab)


@given(broadcast_pair())
def test_mul(ab):
    check(lambda a, b: a * b, np.multiply, *ab)


@given(broadcast_pair(low=0.5, high=2.0))
def test_div(ab):  # denominators kept away from 0; numerators of both signs
    check(lambda a, b: (1.25 - a) / b, lambda a, b: (1.25 - a) / b, *ab)


@given(arrays())
def test_neg(a):
    check(lambda a: -a, np.negative, a)


@given(arrays(low=0.3, high=2.0))
def test_pow_constant(a):
    for c in (2, 3, 0.5, -1.5):
        check(lambda a: a ** c, lambda a: a ** c, a)


@given(arrays(low=0.3, high=2.0), arrays(low=-1.0, high=1.0))
def test_pow_tensor_exponent(a, b):
    b = b.reshape(-1)[:1].reshape(())
    check(lambda a, b: a ** b, np.power, a, b)


def test_scalar_keeps_float32():
    x = mv.tensor([1.0, 2.0])
    for y in (x + 1.5, 2.0 * x, x / 3.0, 1.0 - x, x ** 2, 2.0 ** x, x * np.float64(2.0)):
        assert y.dtype == np.float32


def test_reflected_operators():
    x = mv.tensor([1.0, 2.0], dtype=np.float64)
    np.testing.assert_allclose((3.0 - x).numpy(), [2.0, 1.0])
    np.testing.assert_allclose((3.0 / x).numpy(), [3.0, 1.5])
    np.testing.assert_allclose((np.array([1.0, 1.0]) + x).numpy(), [2.0, 3.0])
    assert isinstance(np.array([1.0, 1.0]) + x, mv.Tensor)


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(3,\), \(4,\)"):
        mv.tensor([1.0, 2.0, 3.0]) + mv.tensor([1.0, 2.0, 3.0, 4.0])


def test_integer_tensor_in_float_op():
    with pytest.raises(TypeError, match="mul: needs floating-point"):
        mv.tensor(np.arange(3)) * 2.0
