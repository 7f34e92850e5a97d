"""logsumexp, softmax and log_softmax, all with the max-shift that keeps exp in range."""
from ..core import Function
from .reduction import _axes, _keepdims_shape
from .shape import broadcast_to, reshape
from .elementwise import exp


def _softmax(xp, x, axis):
    """(e, s, shift, m): e = exp(x - shift) and its sum s, m the maxima along ``axis``.
    A row of -inf is shifted by 0, so its weights are all 0 (never 0/0). A row holding +inf
    puts equal weight on its +inf entries, the limit of softmax as they grow together. A
    NaN stays NaN."""
    m = x.max(axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(m), m, 0)
    e = xp.where(m == xp.inf, x == xp.inf, xp.exp(x - shift)).astype(x.dtype, copy=False)
    return e, e.sum(axis=axis, keepdims=True), shift, m


class LogSumExp(Function):
    """log sum_i exp(x_i) = m + log sum_i exp(x_i - m), m = max_i x_i.

    A row of -inf gives -inf and a zero gradient, never NaN; a row holding +inf gives +inf."""
    keep_inputs = (0,)

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = _axes(self.axis, x.ndim)
        xp = self.xp
        e, s, shift, m = _softmax(xp, x, self.axes)
        y = xp.where(s == 0, -xp.inf, xp.log(xp.where(s == 0, 1, s)) + shift)
        y = xp.where(m == xp.inf, xp.inf, y).astype(x.dtype, copy=False)
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
        e, s, _, _ = _softmax(self.xp, x, self.axis)
        return e / self.xp.where(s == 0, 1, s)

    def backward(self, gy):
        y = self.outputs[0]
        return y * (gy - (gy * y).sum(self.axis, keepdims=True))


class LogSoftmax(Function):
    """log softmax(x) = (x - m) - log sum_i exp(x_i - m): the shift is subtracted before the
    log-sum, not after, so that float32 keeps the differences exact at large offsets
    (x - logsumexp(x) at x near 1e4 rounds in steps of 1e-3)."""
    keep_outputs = (0,)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        e, s, shift, _ = _softmax(self.xp, x, self.axis)
        return ((x - shift) - self.xp.log(s)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.outputs[0]
        return gy - exp(y) * gy.sum(self.axis, keepdims=True)


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExp(axis, keepdims)(x)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)
