import numpy as np

from .. import backend, ops
from .init import INITIALIZERS
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = act(x @ W + b), with W of shape (in_features, out_features) and act the identity
    unless ``activation`` names one (ops.ACTIVATIONS), fused into the layer's kernel where
    the kernel has it."""

    def __init__(self, in_features, out_features, bias=True, init="glorot", activation="identity",
                 slope=0.01, generator=None, dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        if init not in INITIALIZERS:
            raise ValueError(f"Linear: unknown init {init!r}; choose from {sorted(INITIALIZERS)}")
        ops.check_activation(activation, "Linear")
        self.in_features, self.out_features = in_features, out_features
        self.activation, self.slope = activation, slope
        self.weight = Parameter(INITIALIZERS[init]((in_features, out_features), generator=generator, dtype=dtype))
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input has "
                             f"{x.shape[-1]} features (shape {x.shape})")
        return ops.dense(x, self.weight, self.bias, self.activation, self.slope)
