"""+ - * / ** and negation. Broadcast inputs get their gradients reduced by the engine."""
from ..core import Function, Node
from .elementwise import log
from .selection import where


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_grad[1] else None)


class Mul(Function):
    keep_inputs = (0, 1)

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs[0], self.inputs[1]
        return (gy * b if self.needs_grad[0] else None,
                gy * a if self.needs_grad[1] else None)


class Div(Function):
    keep_inputs = (0, 1)

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs[0], self.inputs[1]
        ga = gy / b
        return (ga if self.needs_grad[0] else None,
                -ga * a / b if self.needs_grad[1] else None)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """x ** c for a constant exponent c: d/dx = c x^(c-1), and 0 for c = 0 (x^0 = 1
    everywhere, also at x = 0, where c x^(c-1) would be 0 * inf)."""
    keep_inputs = (0,)

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** x.dtype.type(self.c)

    def backward(self, gy):
        if self.c == 0:
            return gy * 0.0
        x = self.inputs[0]
        return gy * self.c * x ** (self.c - 1)


class Power(Function):
    """a ** b elementwise, b a tensor:
        d/da = b a^(b-1)   (0 where b = 0),
        d/db = a^b log a   (0 where a = 0 and b >= 0, the limit of a^b log a; NaN for
                            a < 0, where a^b is not differentiable in b),
    as in PyTorch. A negative base with an integer exponent is fine: (-2) ** 2 = 4, with
    d/da = -4. Where b = 0 or a = 0 the expressions are evaluated at safe stand-ins, so
    that a second derivative does not meet 0 * inf either."""
    keep_inputs = (0, 1)

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs[0], self.inputs[1]
        ga = gb = None
        if self.needs_grad[0]:
            b_zero = b.data == 0
            ga = where(b_zero, 0.0, b * a ** (where(b_zero, 1.0, b) - 1.0)) * gy
        if self.needs_grad[1]:
            a_zero = (a.data == 0) & (b.data >= 0)
            gb = gy * a ** b * log(where(a_zero, 1.0, a))
        return ga, gb


def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def neg(x):
    return Neg()(x)


def pow(x, exponent):
    """x ** exponent: a number, or a tensor (then either may be a tensor or a number)."""
    if isinstance(x, Node) and isinstance(exponent, (int, float)):
        return Pow(exponent)(x)
    return Power()(x, exponent)
