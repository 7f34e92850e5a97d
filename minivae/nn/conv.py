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
    if activation not in ops.dense_activations:
        raise ValueError(f"{name}: unknown activation {activation!r}; choose from {sorted(ops.dense_activations)}")
    return activation


def _check(name, in_channels, out_channels, groups):
    if min(in_channels, out_channels, groups) < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: channels {in_channels} -> {out_channels} must be positive and divisible "
                         f"by groups={groups}")


class Conv2d(_Conv):
    """y = act(conv2d(x, W) + b), W of shape (out, in / groups, kh, kw), act the identity
    unless ``activation`` names one; bias and activation are fused into the layer's kernel."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, init="glorot", activation="identity", slope=0.01, generator=None,
                 dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.activation, self.slope = _activation("Conv2d", activation), slope
        _check("Conv2d", in_channels, out_channels, groups)
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
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
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation
        self._parameters((in_channels, out_channels // groups) + k, out_channels, bias, init, generator, dtype)

    def forward(self, x):
        return ops.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                    self.groups, self.dilation, self.activation, self.slope)
