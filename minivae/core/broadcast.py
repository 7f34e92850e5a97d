"""Broadcasting, in one place: ``broadcast_to`` and its adjoint ``sum_to``.

The engine calls ``sum_to`` on every gradient whose shape differs from its input's, so
ops never reduce broadcast gradients themselves.
"""
from .function import Function


class BroadcastTo(Function):
    any_dtype = True

    def cost(self, phase, ins, outs):   # a view; the backward is sum_to's reduction
        return (0, 0) if phase == "forward" else Function.cost(self, phase, ins, outs)

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def broadcast_to(x, shape):
    if tuple(shape) == x.shape:
        return x
    return BroadcastTo(shape)(x)


def sum_to(x, shape):
    """Sum ``x`` down to ``shape``: the reverse of broadcasting ``shape`` to ``x.shape``."""
    if tuple(shape) == x.shape:
        return x
    return SumTo(shape)(x)
