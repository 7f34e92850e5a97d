import numpy as np
import pytest

import minivae.functional as F
from minivae.core import Function
from minivae.testing import GradcheckError, gradcheck, gradgradcheck


class WrongSquare(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * 3.0    # should be 2x


class WrongSecondDerivative(Function):
    """Right first derivative (cos), but its backward is built from constants, so the
    second derivative comes out 0 instead of -sin."""

    def forward(self, x):
        self.cos = self.xp.cos(x)
        return self.xp.sin(x)

    def backward(self, gy):
        return gy * self.cos


@pytest.mark.parametrize("mode", ["elementwise", "random"])
def test_gradcheck_passes_right_and_catches_wrong(mode):
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert gradcheck(lambda t: F.tanh(t) * t, x, mode=mode)
    with pytest.raises(GradcheckError, match="analytic .* vs numeric"):
        gradcheck(lambda t: WrongSquare()(t), x, mode=mode)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = np.random.default_rng(0).standard_normal(5)
    assert gradcheck(lambda t: WrongSecondDerivative()(t), x)
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: WrongSecondDerivative()(t), x)


def test_gradcheck_float32_tolerances():
    x = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    assert gradcheck(lambda t: F.softplus(t).sum(), x, dtype=np.float32)


def test_gradcheck_bad_mode():
    with pytest.raises(ValueError, match="mode must be"):
        gradcheck(F.exp, np.ones(2), mode="fast")
