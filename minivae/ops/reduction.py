"""sum, mean, max, min over axes."""
from ..core import Function
from .shape import broadcast_to, reshape


def _axes(axis, ndim):
    """``axis`` (None, an int or a sequence of them) as sorted non-negative axes of an array
    of ``ndim`` dimensions; an axis out of range or given twice is refused, as NumPy does."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"an axis must be an integer, got {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimensions")
    axes = tuple(sorted(a % ndim for a in axes))
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {axis!r} names an axis twice")
    return axes


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        self.axes = _axes(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        gy = reshape(gy, _keepdims_shape(self.x_shape, self.axes))
        return broadcast_to(gy, self.x_shape)


class Extremum(Function):
    """max or min; the gradient is shared equally among tied extreme entries."""

    def __init__(self, axis, keepdims, largest):
        self.axis, self.keepdims, self.largest = axis, keepdims, largest

    def forward(self, x):
        if x.size == 0:
            raise ValueError("an empty tensor has no max or min")
        self.x_shape = x.shape
        self.axes = _axes(self.axis, x.ndim)
        reduce = self.xp.max if self.largest else self.xp.min
        y = reduce(x, axis=self.axes, keepdims=True)
        mask = (x == y).astype(x.dtype)
        self.share = mask / mask.sum(axis=self.axes, keepdims=True)  # a constant for backward
        return y if self.keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        gy = reshape(gy, _keepdims_shape(self.x_shape, self.axes))
        return broadcast_to(gy, self.x_shape) * self.share

    @property
    def name(self):
        return "max" if self.largest else "min"


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    """The sum over the count; NaN over no elements at all, as in NumPy and PyTorch."""
    count = 1
    for a in _axes(axis, x.ndim):
        count *= x.shape[a]
    return sum(x, axis, keepdims) * (1.0 / count if count else float("nan"))


def max(x, axis=None, keepdims=False):
    return Extremum(axis, keepdims, largest=True)(x)


def min(x, axis=None, keepdims=False):
    return Extremum(axis, keepdims, largest=False)(x)
