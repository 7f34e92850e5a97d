"""Ops that pick between values: where, maximum, clip."""
from ..core import Function, Node


class Where(Function):
    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return self.xp.where(self.cond, a, b)

    def backward(self, gy):
        return (where(self.cond, gy, 0.0) if self.needs_grad[0] else None,
                where(self.cond, 0.0, gy) if self.needs_grad[1] else None)


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        low = -self.xp.inf if self.low is None else self.low
        high = self.xp.inf if self.high is None else self.high
        self.inside = (x >= low) & (x <= high)
        return self.xp.clip(x, low, high).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.inside


def _data(x):
    return x.data if isinstance(x, Node) else x


def where(cond, a, b):
    """``a`` where ``cond`` is true, else ``b``; ``cond`` is a constant (bool array or tensor)."""
    return Where(_data(cond))(a, b)


def maximum(a, b):
    """max(a, b) elementwise; a tie splits the gradient equally between ``a`` and ``b``
    (as PyTorch does, and as ``max`` does among tied entries). NaN propagates."""
    da, db = _data(a), _data(b)
    return where(da > db, a, where(da < db, b, (a + b) * 0.5))


def clip(x, low=None, high=None):
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: low {low} is above high {high}")
    return Clip(low, high)(x)
