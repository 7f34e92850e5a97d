import numpy as np

from .. import backend, ops
from .module import Module
from .parameter import Parameter


class BatchNorm1d(Module):
    """y = gamma (x - mean) / sqrt(var + eps) + beta over the batch axis (Ioffe & Szegedy 2015).

    Training uses the batch's statistics and updates running ones; eval uses the running ones.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype))
        self.bias = Parameter(np.zeros(num_features, dtype))
        self.register_buffer("running_mean", np.zeros(num_features, dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype))

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}): expected shape (batch, "
                             f"{self.num_features}), got {x.shape}")
        if self.training:
            if x.shape[0] < 2:
                raise ValueError("BatchNorm1d: training needs a batch of at least 2")
            mean = x.mean(0)
            centered = x - mean
            var = (centered * centered).mean(0)
            n, m = x.shape[0], self.momentum
            dtype = self.running_mean.dtype  # the buffers keep their dtype whatever the batch's
            self.set_buffer("running_mean", ((1 - m) * self.running_mean + m * mean.data).astype(dtype))
            self.set_buffer("running_var", ((1 - m) * self.running_var
                                            + m * var.data * (n / (n - 1))).astype(dtype))
            inv_std = 1.0 / ops.sqrt(var + self.eps)
        else:
            centered = x - self.running_mean
            inv_std = 1.0 / backend.array_module(x.device).sqrt(self.running_var + self.eps)
        return centered * inv_std * self.weight + self.bias
