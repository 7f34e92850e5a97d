"""Activations: tanh, sigmoid, relu, leaky_relu, softplus, and ``ACTIVATIONS``, the one table
of them by name that layers, ops and kernels read (the kernels fuse those in ``FUSED`` into
the product before them: kernels/activations.py)."""
from ..core import Function
from ..kernels.activations import CODES


class Tanh(Function):
    keep_outputs = (0,)

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        y = self.outputs[0]
        return gy * (1.0 - y * y)


class Sigmoid(Function):
    keep_outputs = (0,)

    def forward(self, x):
        # With e = exp(-|x|) <= 1: sigma(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for
        # x < 0. No overflow, and full relative precision in both tails, where
        # (1 + tanh(x/2)) / 2 loses the negative one (sigma(-20) would be 0 in float32).
        # The numerator is max(e, [x >= 0]): np.where on random signs ran 6x slower.
        xp = self.xp
        e = xp.exp(-xp.abs(x))
        return xp.maximum(e, x >= 0) / (e + 1)

    def backward(self, gy):
        y = self.outputs[0]
        return gy * y * (1.0 - y)


class ReLU(Function):
    name = "relu"

    def forward(self, x):
        self.mask = x > 0  # a bool array is all the backward needs
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    name = "leaky_relu"

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        self.scale = self.xp.where(x > 0, x.dtype.type(1), x.dtype.type(self.slope))
        return x * self.scale

    def backward(self, gy):
        return gy * self.scale


class Softplus(Function):
    keep_inputs = (0,)

    def forward(self, x):
        # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|
        xp = self.xp
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, slope=0.01):
    return LeakyReLU(slope)(x)


def softplus(x):
    return Softplus()(x)


def identity(x):
    return x


ACTIVATIONS = {"identity": identity, "relu": relu, "leaky_relu": leaky_relu, "tanh": tanh, "sigmoid": sigmoid,
               "softplus": softplus}
FUSED = frozenset(CODES)   # those a dense or conv kernel applies in its own pass
assert FUSED <= set(ACTIVATIONS)


def check_activation(name, where):
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")


def activate(x, name, slope=0.01):
    """The activation ``name`` of x; ``slope`` is leaky_relu's for x < 0."""
    return leaky_relu(x, slope) if name == "leaky_relu" else ACTIVATIONS[name](x)
