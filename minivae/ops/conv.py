"""2-D convolution (NCHW) and its adjoint, the transposed convolution, as three linear ops
that differentiate into one another, so that gradients of any order exist:

    y   = conv(x, W)         y[n,o,p,q] = sum_{c,i,j} W[o,c,i,j] x[n, c, s p + d i - pad, s q + d j - pad]
    x'  = convT(y, W)        the adjoint in x:  <conv(x, W), y> = <x, convT(y, W)>
    W'  = wgrad(x, y)        the adjoint in W:  <conv(x, W), y> = <W, wgrad(x, y)>

(channels split into ``groups`` that see only their own inputs). Each is an im2col of the
input into columns col[n, c, i, j, p, q] = x[n, c, s p + d i - pad, s q + d j - pad],
one GEMM per group, and for the adjoint a col2im that sums columns back into the image.
"""
import math

import numpy as np

from .. import backend, kernels
from ..core import Function
from .activation import FUSED, activate, check_activation
from .fused import Fused
from .shape import reshape


class Geometry:
    """Stride, padding and dilation (pairs), groups, and the kernel's size."""

    def __init__(self, kernel, stride, padding, dilation, groups):
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.groups = groups

    @property
    def args(self):
        return self.kernel, self.stride, self.padding, self.dilation

    def out_size(self, size):
        """Output height and width of conv over an input of ``size`` (height, width)."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, p, d, k, s in zip(size, self.padding, self.dilation, self.kernel, self.stride))


def im2col(x, g, out=None):
    """The columns of x as one matrix per group, (groups, C/groups * kh * kw, N * oh * ow):
    row (c, i, j), column (n, p, q) holds x[n, c, s p + d i - pad, s q + d j - pad] (0
    outside x), for the output positions of ``out`` (default: all that fit)."""
    out = tuple(out or g.out_size(x.shape[2:]))
    xp = _xp(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    (oh, ow), (n, c) = out, x.shape[:2]
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    col = xp.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j] = padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    rows = c // g.groups * kh * kw   # not -1: a reshape cannot infer it from an empty batch
    return col.reshape(n, g.groups, rows, oh * ow).transpose(1, 2, 0, 3).reshape(g.groups, rows, n * oh * ow)


def col2im(cols, shape, g, out):
    """The adjoint of im2col: each column entry added back to the pixel of the image of
    ``shape`` (N, C, H, W) it came from."""
    xp = _xp(cols)
    (n, c, h, w), (kh, kw), (oh, ow) = shape, g.kernel, out
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    col = cols.reshape(g.groups, c // g.groups, kh, kw, n, oh, ow).transpose(4, 0, 1, 2, 3, 5, 6)
    col = col.reshape(n, c, kh, kw, oh, ow)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += col[:, :, i, j]
    return padded[:, :, ph:ph + h, pw:pw + w]


def _by_group(y, groups):
    """An output-shaped y (n, o, oh, ow) as (groups, o/groups, n * oh * ow), as the GEMMs see it."""
    n, o, oh, ow = y.shape
    return y.reshape(n, groups, o // groups, oh * ow).transpose(1, 2, 0, 3).reshape(groups, o // groups, n * oh * ow)


def _weight_by_group(w, groups):
    """W (O, C/G, kh, kw) as (G, O/G, C/G kh kw)."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _fast(name, device, *arrays):
    """The kernel ``name`` where it takes these arrays (kernels.kernel_for), none of them
    empty (the reference path returns the empty results)."""
    return None if any(a.size == 0 for a in arrays) else kernels.kernel_for(device, name, *arrays)


def _from_groups(m, n, oh, ow):
    """(groups, rows, n * oh * ow) back to (n, groups * rows, oh, ow)."""
    groups, rows = m.shape[:2]
    return m.reshape(groups, rows, n, oh * ow).transpose(2, 0, 1, 3).reshape(n, groups * rows, oh, ow)


def conv_array(x, w, g, out=None):
    """conv(x, W) on arrays; W of shape (out, in / groups, kh, kw)."""
    oh, ow = out or g.out_size(x.shape[2:])
    y = _weight_by_group(w, g.groups) @ im2col(x, g, (oh, ow))                          # (G, O/G, n L)
    return _from_groups(y, x.shape[0], oh, ow)


def conv_transpose_array(y, w, size, g):
    """convT(y, W) on arrays: the image of ``size`` whose conv with W is paired with y."""
    n, o, oh, ow = y.shape
    cols = _weight_by_group(w, g.groups).transpose(0, 2, 1) @ _by_group(y, g.groups)   # (G, K, n L)
    return col2im(cols, (n, w.shape[1] * g.groups) + tuple(size), g, (oh, ow))


def wgrad_array(x, y, g):
    """wgrad(x, y): sum over the batch of y's channels against x's columns, shaped as W."""
    w = _by_group(y, g.groups) @ im2col(x, g, y.shape[2:]).transpose(0, 2, 1)           # (G, O/G, K)
    return w.reshape(y.shape[1], x.shape[1] // g.groups, *g.kernel)


def _products(y, w):
    """FLOPs of conv(., W) with output y (or of its adjoints, y their conv-side operand)."""
    return 2 * math.prod(y) * math.prod(w[1:])


class Conv(Function):
    """conv(x, W); ``out`` crops the output to the size that convT came from, which the
    output padding can leave smaller than what fits. The fast kernel hands back its
    lowered x, kept for the weight gradient."""
    keep_inputs = (0, 1)
    gemm = True

    def cost(self, phase, ins, outs):
        return self.products_cost(phase, _products(outs[0][0], ins[1][0]), ins, outs)

    def __init__(self, g, out=None):
        self.g, self.out, self.rows = g, out, None

    def forward(self, x, w):
        out = tuple(self.out or self.g.out_size(x.shape[2:]))
        fast = _fast("conv2d_forward", self.device, x, w)
        self.kernel_ran = fast is not None
        if fast is None:
            return conv_array(x, w, self.g, out)
        y, self.rows = fast(x, w, *self.g.args, out, self.g.groups)
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        return (ConvTranspose(self.g, x.shape[2:])(gy, w) if self.needs_grad[0] else None,
                WeightGrad(self.g, w.shape, self.rows)(x, gy) if self.needs_grad[1] else None)

    def release(self):
        super().release()
        self.rows = None


class ConvTranspose(Function):
    keep_inputs = (0, 1)
    gemm = True

    def cost(self, phase, ins, outs):
        return self.products_cost(phase, _products(ins[0][0], ins[1][0]), ins, outs)

    def __init__(self, g, size):
        self.g, self.size = g, tuple(size)

    def forward(self, y, w):
        fast = _fast("conv2d_data_grad", self.device, y, w)
        self.kernel_ran = fast is not None
        if fast is None:
            return conv_transpose_array(y, w, self.size, self.g)
        return fast(y, w, *self.g.args, (y.shape[0], w.shape[1] * self.g.groups) + self.size, self.g.groups)

    def backward(self, gx):
        y, w = self.inputs[0], self.inputs[1]
        conv = Conv(self.g, y.shape[2:])
        gy = conv(gx, w) if self.needs_grad[0] else None
        return gy, (WeightGrad(self.g, w.shape, conv.rows)(gx, y) if self.needs_grad[1] else None)   # gx lowered once


class WeightGrad(Function):
    keep_inputs = (0, 1)
    gemm = True

    def cost(self, phase, ins, outs):
        return self.products_cost(phase, _products(ins[1][0], outs[0][0]), ins, outs)

    def __init__(self, g, shape, rows=None):
        self.g, self.shape, self.rows = g, tuple(shape), rows

    def forward(self, x, y):
        fast = _fast("conv2d_weight_grad", self.device, x, y)
        self.kernel_ran = fast is not None
        if fast is None:
            return wgrad_array(x, y, self.g)
        gw, self.rows = fast(x, y, *self.g.args, self.g.groups, self.rows), None
        return gw

    def backward(self, gw):
        x, y = self.inputs[0], self.inputs[1]
        return (ConvTranspose(self.g, x.shape[2:])(y, gw) if self.needs_grad[0] else None,
                Conv(self.g, y.shape[2:])(x, gw) if self.needs_grad[1] else None)


class ConvAct(Fused):
    """act(conv(x, W) + b), or act(convT(x, W) + b) with ``size``: the products, the bias and
    the activation in one kernel call, as the dense layer does (ops/dense.py). The kernel
    hands back what its backward reads besides y: the lowered x of conv, the input of convT
    in the kernel's layout."""
    gemm = True

    def __init__(self, g, activation, slope, size=None, bias=True):
        self.g, self.activation, self.slope, self.size, self.bias = g, activation, slope, size, bias
        self.kernel = "conv2d_act_forward" if size is None else "conv_transpose2d_act_forward"
        self.kept = self.y = None

    def cost(self, phase, ins, outs):
        """The products', and 2 an output for the bias and the activation."""
        y = outs[0][0] if self.size is None else ins[0][0]   # conv's output side
        flops, moved = self.products_cost(phase, _products(y, ins[1][0]), ins, outs)
        return flops + 2 * math.prod(outs[0][0]), moved

    def fits(self, x, w, b):
        empty = x.size == 0 or w.size == 0
        return not empty and not (self.activation == "leaky_relu" and self.slope < 0)   # act' is read off y (ops/dense.py)

    def reference(self, x, w, b):
        y = (Conv(self.g) if self.size is None else ConvTranspose(self.g, self.size))(x, w)
        y = y + reshape(b, (1, -1, 1, 1)) if self.bias else y   # without: b is the kernel's zeros
        return activate(y, self.activation, self.slope)

    def forward(self, x, w, b):
        if self.size is None:
            self.y, self.kept = self.kernels.conv2d_act_forward(
                x, w, b, self.activation, self.slope, *self.g.args, self.g.out_size(x.shape[2:]), self.g.groups)
        else:
            self.y, self.kept = self.kernels.conv_transpose2d_act_forward(
                x, w, b, self.activation, self.slope, *self.g.args, (x.shape[0], w.shape[1] * self.g.groups)
                + self.size, self.g.groups)
        return self.y

    def backward_kernel(self, gy):
        w = self.inputs[1].data
        if self.size is None:
            return self.kernels.conv2d_act_backward(
                self.inputs[0].data, w, self.y, gy, self.activation, self.slope, *self.g.args, self.g.groups, self.needs_grad, self.kept)
        return self.kernels.conv_transpose2d_act_backward(
            self.kept, w, self.y, gy, self.activation, self.slope, *self.g.args, self.g.groups, self.needs_grad)

    def release(self):
        super().release()
        self.kept = self.y = None


def _xp(a):
    return backend.array_module(backend.device_of(a))


def _device(a):
    return backend.device_of(a)


def _pair(name, v, low):
    v = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != 2 or not all(isinstance(e, (int, np.integer)) and e >= low for e in v):
        raise ValueError(f"{name} must be an int or a pair of ints >= {low}, got {v}")
    return tuple(int(e) for e in v)


def _padding(op, padding, stride, dilation, kernel):
    """An int or pair, or PyTorch's "valid" (none) and "same" (the output as large as the
    input, stride 1 only), for conv2d; same must split evenly: an even kernel would need
    the extra row on one side, which this symmetric padding does not do."""
    if not isinstance(padding, str):
        return _pair("padding", padding, 0)
    if op != "conv2d" or padding not in ("same", "valid"):
        raise ValueError("padding must be an int or a pair of ints" + (" or 'same' or 'valid'" if op == "conv2d"
                                                                        else "") + f", got {padding!r}")
    if padding == "valid" or kernel is None:
        return (0, 0)
    if stride != (1, 1):
        raise ValueError(f"padding='same' needs stride 1, got stride {stride}")
    total = [d * (k - 1) for d, k in zip(dilation, kernel)]
    if any(t % 2 for t in total):
        raise ValueError(f"padding='same' with kernel {tuple(kernel)} and dilation {dilation} would pad one side "
                         "more than the other, which minivae does not do; pad the input, or use an odd kernel")
    return tuple(t // 2 for t in total)


def geometry(op, x, weight, stride, padding, dilation, groups):
    """Check shapes and hyperparameters; the Geometry, or a ValueError that names the problem."""
    try:
        stride, dilation = _pair("stride", stride, 1), _pair("dilation", dilation, 1)
        padding = _padding(op, padding, stride, dilation, weight.shape[2:] if weight.ndim == 4 else None)
    except ValueError as e:
        raise ValueError(f"{op}: {e}") from None
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups}")
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W) and a 4-D weight, got {x.shape} and {weight.shape}")
    return Geometry(tuple(weight.shape[2:]), stride, padding, dilation, int(groups))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, activation="identity", slope=0.01):
    """PyTorch's conv2d: x (N, C, H, W), weight (O, C / groups, kh, kw), bias (O,); and, as
    for ``dense``, an ``activation`` applied in the same kernel."""
    check_activation(activation, "conv2d")
    if activation not in FUSED:   # the kernel's convolution, then the activation as its own op
        return activate(conv2d(x, weight, bias, stride, padding, dilation, groups), activation, slope)
    g = geometry("conv2d", x, weight, stride, padding, dilation, groups)
    o, cg = weight.shape[:2]
    if x.shape[1] != cg * g.groups or o % g.groups:
        raise ValueError(f"conv2d: input of {x.shape[1]} channels and weight {weight.shape} with groups="
                         f"{g.groups} do not fit (need C = {cg} * groups and O divisible by groups)")
    if min(g.out_size(x.shape[2:])) < 1:
        raise ValueError(f"conv2d: the kernel {g.kernel} (dilation {g.dilation}) does not fit the input "
                         f"{x.shape[2:]} with padding {g.padding}")
    _same_dtype("conv2d", x, weight, bias)
    if bias is not None:
        _channel_bias(bias, o, "conv2d")
    b = _xp(x.data).zeros(o, x.dtype) if bias is None else bias   # a zero bias, constant
    return ConvAct(g, activation, slope, bias=bias is not None)(x, weight, b)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     activation="identity", slope=0.01):
    """PyTorch's conv_transpose2d: x (N, C, H, W), weight (C, O / groups, kh, kw); the output
    is (H - 1) s - 2 pad + d (k - 1) + output_padding + 1 high (likewise wide)."""
    check_activation(activation, "conv_transpose2d")
    if activation not in FUSED:
        return activate(conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation),
                        activation, slope)
    g = geometry("conv_transpose2d", x, weight, stride, padding, dilation, groups)
    try:
        extra = _pair("output_padding", output_padding, 0)
    except ValueError as e:
        raise ValueError(f"conv_transpose2d: {e}") from None
    if any(e >= max(s, d) for e, s, d in zip(extra, g.stride, g.dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than stride {g.stride} "
                         f"or dilation {g.dilation}")
    c, og = weight.shape[:2]
    if x.shape[1] != c or c % g.groups:
        raise ValueError(f"conv_transpose2d: input of {x.shape[1]} channels and weight {weight.shape} with "
                         f"groups={g.groups} do not fit (need C = weight.shape[0], divisible by groups)")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1
                 for n, s, p, d, k, e in zip(x.shape[2:], g.stride, g.padding, g.dilation, g.kernel, extra))
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the output would be {size}; padding {g.padding} is too large")
    _same_dtype("conv_transpose2d", x, weight, bias)
    if bias is not None:
        _channel_bias(bias, og * g.groups, "conv_transpose2d")
    b = _xp(x.data).zeros(og * g.groups, x.dtype) if bias is None else bias
    return ConvAct(g, activation, slope, size, bias=bias is not None)(x, weight, b)


def channels_last(device):
    """Whether the convolutions on ``device`` keep images channels-last in memory (the CPU
    kernels do, kernels/cpu/conv.py; the CUDA kernels and the reference path work in NCHW):
    a layer that makes an image for them does best to lay it out the same way."""
    return device == "cpu" and kernels.kernel_for(device, "conv2d_forward") is not None


def _same_dtype(op, x, weight, bias):
    """As PyTorch: no silent promotion, which would also make the result's dtype depend on
    whether the fused kernel or the reference path ran."""
    dtypes = [("input", x.dtype), ("weight", weight.dtype)] + ([] if bias is None else [("bias", bias.dtype)])
    if len({d for _, d in dtypes}) > 1:
        raise TypeError(f"{op}: " + ", ".join(f"{name} is {d}" for name, d in dtypes)
                        + "; give them one dtype (e.g. .astype('float32'))")


def _channel_bias(bias, channels, op):
    if bias.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {bias.shape}")
    return reshape(bias, (1, channels, 1, 1))
