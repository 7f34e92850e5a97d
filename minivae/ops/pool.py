"""Pooling and upsampling over NCHW images, built on the convolution's windows (conv.py).

    max_pool2d   y[n,c,p,q] = max over the window of x;  the gradient goes to the argmax
    avg_pool2d   a depthwise convolution with the constant kernel 1 / (kh kw)
    upsample     nearest: each pixel repeated s x s times (a broadcast and a reshape)
"""
from .. import backend
from ..core import Function
from .conv import Geometry, _pair, col2im, conv2d, im2col
from .shape import broadcast_to, reshape


class WindowGather(Function):
    """y[n,c,p,q] = the entry of x's window (n, c, p, q) at a fixed position arg[c, n, p, q]:
    max pooling once the argmax is known. Linear in x; its adjoint is WindowScatter. The
    windows are im2col's columns with one group per channel: (C, kh kw, N oh ow)."""

    def __init__(self, arg, g, shape):
        self.arg, self.g, self.shape = arg, g, shape

    def forward(self, x):
        c, n, oh, ow = self.arg.shape
        cols = im2col(x, self.g, (oh, ow))
        picked = self.xp.take_along_axis(cols, self.arg.reshape(c, 1, -1), 1)
        return picked.reshape(c, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, gy):
        return WindowScatter(self.arg, self.g, self.shape)(gy)


class WindowScatter(Function):
    """The adjoint of WindowGather: each gy added to the pixel its window picked."""

    def __init__(self, arg, g, shape):
        self.arg, self.g, self.shape = arg, g, shape

    def forward(self, gy):
        c, n, oh, ow = self.arg.shape
        kh, kw = self.g.kernel
        picked = self.xp.arange(kh * kw).reshape(1, -1, 1) == self.arg.reshape(c, 1, -1)
        cols = picked * gy.transpose(1, 0, 2, 3).reshape(c, 1, -1)
        return col2im(cols, self.shape, self.g, (oh, ow))

    def backward(self, gx):
        return WindowGather(self.arg, self.g, self.shape)(gx)


def _window(op, x, kernel_size, stride, padding, dilation):
    try:
        kernel = _pair("kernel_size", kernel_size, 1)
        g = Geometry(kernel, _pair("stride", kernel if stride is None else stride, 1),
                     _pair("padding", padding, 0), _pair("dilation", dilation, 1), x.shape[1] if x.ndim == 4 else 1)
    except ValueError as e:
        raise ValueError(f"{op}: {e}") from None
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W), got {x.shape}")
    if any(2 * p > k for p, k in zip(g.padding, kernel)):
        raise ValueError(f"{op}: padding {g.padding} must be at most half the kernel {kernel}")
    if min(g.out_size(x.shape[2:])) < 1:
        raise ValueError(f"{op}: the window {kernel} does not fit the input {x.shape[2:]}")
    return g


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """PyTorch's max_pool2d (stride defaults to the kernel size; padding counts as -inf).
    Ties go to the first position in the window."""
    g = _window("max_pool2d", x, kernel_size, stride, padding, dilation)
    for n, k, s, p, d, o in zip(x.shape[2:], g.kernel, g.stride, g.padding, g.dilation, g.out_size(x.shape[2:])):
        if any(not any(0 <= i * s + j * d - p < n for j in range(k)) for i in range(o)):
            raise ValueError(f"max_pool2d: with padding {g.padding} and dilation {g.dilation} a window of "
                             f"{g.kernel} lies wholly in the padding of an input of {x.shape[2:]}")
    xp = backend.array_module(x.device)
    (ph, pw), (n, c) = g.padding, x.shape[:2]
    padded = xp.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf)
    oh, ow = g.out_size(x.shape[2:])
    unpadded = Geometry(g.kernel, g.stride, (0, 0), g.dilation, c)
    cols = im2col(padded, unpadded, (oh, ow))   # (C, kh kw, N L)
    if g.padding == (0, 0):
        arg = cols.argmax(1).reshape(c, n, oh, ow)
    else:   # the first real entry equal to the window's max: a padding slot never wins, not even
        # against real -inf entries (PyTorch gives -inf and its gradient there); a NaN wins
        real = im2col(xp.ones((1, 1) + tuple(x.shape[2:]), bool), Geometry(g.kernel, g.stride, g.padding, g.dilation, 1),
                      (oh, ow))   # (1, kh kw, L): im2col pads with False
        best = (cols == cols.max(1, keepdims=True)) & xp.tile(real, (1, 1, n))
        arg = xp.where(best.any(1), best.argmax(1), cols.argmax(1)).reshape(c, n, oh, ow)
    return WindowGather(arg, g, tuple(x.shape))(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """PyTorch's avg_pool2d with count_include_pad=True: padding counts as zeros."""
    g = _window("avg_pool2d", x, kernel_size, stride, padding, 1)
    c = x.shape[1]
    kh, kw = g.kernel
    xp = backend.array_module(x.device)
    weight = type(x)(xp.full((c, 1, kh, kw), 1.0 / (kh * kw), dtype=x.dtype))
    return conv2d(x, weight, None, g.stride, g.padding, 1, c)


def upsample(x, scale_factor=2):
    """Nearest-neighbour upsampling by an integer factor (or a pair): (N, C, H, W) ->
    (N, C, H sh, W sw), as torch.nn.functional.interpolate(mode="nearest")."""
    try:
        sh, sw = _pair("scale_factor", scale_factor, 1)
    except ValueError as e:
        raise ValueError(f"upsample: {e}") from None
    if x.ndim != 4:
        raise ValueError(f"upsample: expected input (N, C, H, W), got {x.shape}")
    n, c, h, w = x.shape
    tiles = broadcast_to(reshape(x, (n, c, h, 1, w, 1)), (n, c, h, sh, w, sw))
    return reshape(tiles, (n, c, h * sh, w * sw))
