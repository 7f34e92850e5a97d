"""Activations as modules, for use in ``Sequential``: each a name in ops.ACTIVATIONS."""
from .. import ops
from .module import Module


class Activation(Module):
    def __init__(self, name, slope=0.01):
        super().__init__()
        ops.check_activation(name, type(self).__name__)
        self.name, self.slope = name, slope

    def forward(self, x):
        return ops.activate(x, self.name, self.slope)


class ReLU(Activation):
    def __init__(self):
        super().__init__("relu")


class LeakyReLU(Activation):
    def __init__(self, slope=0.01):
        super().__init__("leaky_relu", slope)


class Tanh(Activation):
    def __init__(self):
        super().__init__("tanh")


class Sigmoid(Activation):
    def __init__(self):
        super().__init__("sigmoid")


class Softplus(Activation):
    def __init__(self):
        super().__init__("softplus")


class Identity(Activation):
    def __init__(self):
        super().__init__("identity")
