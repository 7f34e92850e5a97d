"""Convolution layers over NCHW images, with PyTorch's arguments and weight layouts."""
import numpy as np

from .. import backend, ops
from .init import INITIALIZERS
from .module import Module
from .parameter import Parameter


class _Conv(Module):
    def _parameters(self, shape, out_channels, bias, init, generator, dtype):
        if init not in INITIALIZERS:
            raise ValueError(f"{type(self).__name__}: unknown init {init!r}; choose from {sorted(INITIALIZERS)}")
        self.weight = Parameter(INITIALIZERS[init](shape, generator=generator, dtype=dtype))
        self.bias = Parameter(np.zeros(out_channels, dtype)) if bias else None


def _activation(name, activation):
    ops.check_activation(activation, name)
    return activation


def _check(name, in_channels, out_channels, groups):
    if min(in_channels, out_channels, groups) < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: channels {in_channels} -> {out_channels} must be positive and divisible "
                         f"by groups={groups}")


def _kernel(kernel_size):
    k = (kernel_size, kernel_size) if isinstance(kernel_size, (int, np.integer)) else tuple(kernel_size)
    return tuple(int(e) for e in k)


class Conv2d(_Conv):
    """y = act(conv2d(x, W) + b), W of shape (out, in / groups, kh, kw), act the identity
    unless ``activation`` names one; bias and activation are fused into the layer's kernel."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, init="glorot", activation="identity", slope=0.01, generator=None,
                 dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.activation, self.slope = _activation("Conv2d", activation), slope
        _check("Conv2d", in_channels, out_channels, groups)
        k = _kernel(kernel_size)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self._parameters((out_channels, in_channels // groups) + k, out_channels, bias, init, generator, dtype)

    def forward(self, x):
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                          self.activation, self.slope)


class ConvTranspose2d(_Conv):
    """y = conv_transpose2d(x, W) + b, W of shape (in, out / groups, kh, kw): the adjoint of a
    Conv2d(out, in) in x, so with the same arguments it maps that layer's output size back
    to its input size (``output_padding`` picks among the sizes a stride makes ambiguous)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, init="glorot", activation="identity", slope=0.01, generator=None,
                 dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.activation, self.slope = _activation("ConvTranspose2d", activation), slope
        _check("ConvTranspose2d", in_channels, out_channels, groups)
        k = _kernel(kernel_size)
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation
        self._parameters((in_channels, out_channels // groups) + k, out_channels, bias, init, generator, dtype)

    def forward(self, x):
        return ops.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                    self.groups, self.dilation, self.activation, self.slope)


# Nearest-neighbour upsampling by 2 and then a 3-tap convolution give output pixel 2p taps
# (w0 on input p-1, w1 + w2 on p) and output 2p+1 taps (w0 + w1 on p, w2 on p+1): per axis,
# the 4-tap kernel A w of a stride-2 transposed convolution.
_TAPS = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])
# Both axes at once: row-major vec(A W A^T) = (A kron A) vec(W), so every (out, in) pair's
# 4 x 4 kernel comes from one product (out in, 9) @ (9, 16), not two batched 4 x 3 ones.
_TAPS_2D = np.kron(_TAPS, _TAPS).T


class ResizeConv2d(_Conv):
    """y = act(conv2d(upsample(x, 2), W, padding=1) + b), W of shape (out, in, 3, 3): resize,
    then convolve (Odena et al. 2016). Every output pixel sums the same weights (a constant
    input gives a constant output away from the border), where a stride-2 transposed
    convolution's even and odd pixels sum different ones and draw a checkerboard.

    Computed as the transposed convolution it equals, with the kernel A W A^T (4 x 4,
    stride 2, padding 1): the upsampled image is never formed, and the layer costs what a
    transposed convolution costs. ``output_padding=1`` adds a last row and column (an odd
    target size), where the upsampled image would have ended."""

    def __init__(self, in_channels, out_channels, output_padding=0, bias=True, init="glorot",
                 activation="identity", slope=0.01, generator=None, dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.activation, self.slope = _activation("ResizeConv2d", activation), slope
        _check("ResizeConv2d", in_channels, out_channels, 1)
        self.output_padding = output_padding
        self._parameters((out_channels, in_channels, 3, 3), out_channels, bias, init, generator, dtype)

    def kernel(self):
        """A W A^T as a transposed convolution's weight, (in, out, 4, 4)."""
        out, inp = self.weight.shape[:2]
        taps = ops.Tensor(backend.array_module(self.weight.device).asarray(_TAPS_2D, dtype=self.weight.dtype))
        k = ops.matmul(ops.reshape(self.weight, (out * inp, 9)), taps)
        return ops.transpose(ops.reshape(k, (out, inp, 4, 4)), (1, 0, 2, 3))

    def forward(self, x):
        return ops.conv_transpose2d(x, self.kernel(), self.bias, 2, 1, self.output_padding, 1, 1,
                                    self.activation, self.slope)
