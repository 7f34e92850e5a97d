"""logsumexp, softmax and log_softmax, all with the max-shift that keeps exp in range."""
from ..core import Function
from .reduction import _axes, _keepdims_shape
from .shape import broadcast_to, reshape


def _softmax(xp, x, axis):
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)  # a row of -inf: shift by 0, giving zero weights
    e = xp.exp(x - m)
    s = e.sum(axis=axis, keepdims=True)
    return e, s, m


class LogSumExp(Function):
    """log sum_i exp(x_i) = m + log sum_i exp(x_i - m), m = max_i x_i.

    A row of -inf gives -inf and a zero gradient, never NaN."""
    keep_inputs = (0,)

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = _axes(self.axis, x.ndim)
        e, s, m = _softmax(self.xp, x, self.axes)
        xp = self.xp
        y = xp.where(s > 0, xp.log(xp.where(s > 0, s, 1)) + m, -xp.inf).astype(x.dtype, copy=False)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        x = self.inputs[0]
        gy = broadcast_to(reshape(gy, _keepdims_shape(x.shape, self.axes)), x.shape)
        return gy * softmax(x, self.axes)


class Softmax(Function):
    keep_outputs = (0,)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        e, s, _ = _softmax(self.xp, x, self.axis)
        return e / self.xp.where(s > 0, s, 1)

    def backward(self, gy):
        y = self.outputs[0]
        return y * (gy - (gy * y).sum(self.axis, keepdims=True))


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExp(axis, keepdims)(x)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return x - logsumexp(x, axis, keepdims=True)
