"""Elementwise math: exp, log, log1p, sqrt, abs."""
from ..core import Function


class Exp(Function):
    keep_outputs = (0,)

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, gy):
        return gy * self.outputs[0]


class Log(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Log1p(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1.0)


class Sqrt(Function):
    keep_outputs = (0,)

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, gy):
        return gy / (self.outputs[0] * 2.0)


class Abs(Function):
    def forward(self, x):
        self.sign = self.xp.sign(x)  # d|x|/dx, taken as 0 at 0
        return self.xp.abs(x)

    def backward(self, gy):
        return gy * self.sign


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def log1p(x):
    return Log1p()(x)


def sqrt(x):
    return Sqrt()(x)


def abs(x):
    return Abs()(x)
