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


@given(broadcast_pair(low=0.2, high=3.0), broadcast_pair())
def test_pow_with_a_tensor_exponent(bases, exponents):
    a, b = bases[0], exponents[0]
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        b = exponents[0].reshape(-1)[:1].reshape(())
    check(lambda x, y: x ** y, np.power, a, b)
    check(lambda y: 2.5 ** y, lambda y: 2.5 ** y, b)


def test_pow_at_zero_with_exponent_zero_has_gradient_zero():
    x = mv.tensor([0.0, 2.0], requires_grad=True)
    y = x ** 0
    np.testing.assert_array_equal(y.numpy(), [1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_negative_base_with_a_tensor_exponent():
    """PyTorch: (-2) ** 2 = 4 with d/da = 2 a = -4; d/db = a^b log a is NaN for a < 0."""
    a = mv.tensor([-2.0], requires_grad=True)
    b = mv.tensor([2.0], requires_grad=True)
    y = a ** b
    np.testing.assert_array_equal(y.numpy(), [4.0])
    with np.errstate(invalid="ignore"):     # log(-2)
        y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [-4.0])
    assert np.isnan(b.grad.numpy()[0])
    c = mv.tensor([3.0])
    np.testing.assert_array_equal(((-2.0) ** c).numpy(), [-8.0])   # exp(c log(-2)) was NaN


def test_pow_with_tensor_exponent_at_zero_base():
    """0 ** b: d/db is 0 for b >= 0 (the limit of a^b log a); d/da is b 0^(b-1):
    0 for b = 0 and b > 1, 1 for b = 1."""
    a = mv.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True, dtype=np.float64)
    b = mv.tensor([0.0, 1.0, 2.0, 0.5], requires_grad=True, dtype=np.float64)
    with np.errstate(divide="ignore"):      # 0 ** -0.5 in d/da at b = 0.5
        y = a ** b
        y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 0.0, np.inf])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 0.0, 0.0])
