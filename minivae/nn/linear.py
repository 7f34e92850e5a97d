import numpy as np

from .. import backend
from .init import INITIALIZERS
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x @ W + b, with W of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features, bias=True, init="glorot", generator=None,
                 dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        if init not in INITIALIZERS:
            raise ValueError(f"Linear: unknown init {init!r}; choose from {sorted(INITIALIZERS)}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(INITIALIZERS[init]((in_features, out_features), generator=generator, dtype=dtype))
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input has "
                             f"{x.shape[-1]} features (shape {x.shape})")
        y = x @ self.weight
        return y + self.bias if self.bias is not None else y
