"""+ - * / ** and negation. Broadcast inputs get their gradients reduced by the engine."""
from ..core import Function, Node


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
    """x ** c for a constant exponent c: d/dx = c x^(c-1)."""
    keep_inputs = (0,)

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** x.dtype.type(self.c)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * self.c * x ** (self.c - 1)


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
    """x ** exponent; a tensor exponent goes through exp(exponent * log x)."""
    if isinstance(exponent, Node):
        from .elementwise import exp, log
        return exp(exponent * log(x))
    return Pow(exponent)(x)
