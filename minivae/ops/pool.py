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
    """y[n,c,p,q] = the entry of x's window (n, c, p, q) at a fixed position arg[n,c,p,q]:
    max pooling once the argmax is known. Linear in x; its adjoint is WindowScatter."""

    def __init__(self, arg, g, size):
        self.arg, self.g, self.size = arg, g, size

    def forward(self, x):
        n, c = x.shape[:2]
        col = im2col(x, self.g).reshape(n, c, -1, *self.arg.shape[2:])
        return self.xp.take_along_axis(col, self.arg[:, :, None], 2)[:, :, 0]

    def backward(self, gy):
        return WindowScatter(self.arg, self.g, self.size)(gy)


class WindowScatter(Function):
    """The adjoint of WindowGather: each gy added to the pixel its window picked."""

    def __init__(self, arg, g, size):
        self.arg, self.g, self.size = arg, g, size

    def forward(self, gy):
        n, c, oh, ow = gy.shape
        kh, kw = self.g.kernel
        picked = self.xp.arange(kh * kw).reshape(-1, 1, 1) == self.arg[:, :, None]
        return col2im((picked * gy[:, :, None]).reshape(n, c, kh, kw, oh, ow), self.size, self.g)

    def backward(self, gx):
        return WindowGather(self.arg, self.g, self.size)(gx)


def _window(op, x, kernel_size, stride, padding, dilation):
    try:
        kernel = _pair("kernel_size", kernel_size, 1)
        g = Geometry(kernel, _pair("stride", kernel if stride is None else stride, 1),
                     _pair("padding", padding, 0), _pair("dilation", dilation, 1), 1)
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
    xp = backend.array_module(x.device)
    (ph, pw) = g.padding
    padded = xp.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf)
    col = im2col(padded, Geometry(g.kernel, g.stride, (0, 0), g.dilation, 1))
    arg = col.reshape(*x.shape[:2], -1, *col.shape[4:]).argmax(2)
    return WindowGather(arg, g, tuple(x.shape[2:]))(x)


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
