import numpy as np

from .. import backend, ops
from .module import Module
from .parameter import Parameter


def _alone(v):
    return v


class _BatchNorm(Module):
    """y = gamma (x - mean) / sqrt(var + eps) + beta per channel (axis 1), the statistics taken
    over every other axis (Ioffe & Szegedy 2015). Training uses the batch's statistics and
    updates running ones (the variance unbiased, as PyTorch); eval uses the running ones.
    In a data-parallel fit ``world`` is set, and the statistics are those of the global
    batch: each sum goes over the ranks' rows (minivae.distributed)."""
    ndim = None
    world = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype))
        self.bias = Parameter(np.zeros(num_features, dtype))
        self.register_buffer("running_mean", np.zeros(num_features, dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype))

    def forward(self, x):
        name = type(self).__name__
        if x.ndim != self.ndim or x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected shape (batch, {self.num_features}"
                             + ", height, width" * (self.ndim == 4) + f"), got {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (1, -1) + (1,) * (x.ndim - 2)
        if self.training:
            total = _alone if self.world is None else self.world.total
            n = total(x.size // x.shape[1])
            if n < 2:
                raise ValueError(f"{name}: training needs at least 2 values per channel")
            mean = total(x.sum(axes, keepdims=True)) / n
            centered = x - mean
            var = total((centered * centered).sum(axes, keepdims=True)) / n
            # In place, keeping their dtype: a step recorded as a CUDA graph writes to the
            # arrays it was recorded with on every replay, and evaluation must read those.
            m, running_mean, running_var = self.momentum, self.running_mean, self.running_var
            running_mean[...] = (1 - m) * running_mean + m * mean.data.reshape(-1)
            running_var[...] = (1 - m) * running_var + m * var.data.reshape(-1) * (n / (n - 1))
            inv_std = 1.0 / ops.sqrt(var + self.eps)
        else:
            xp = backend.array_module(x.device)
            centered = x - self.running_mean.reshape(per_channel)
            inv_std = 1.0 / xp.sqrt(self.running_var.reshape(per_channel) + self.eps)
        return centered * inv_std * self.weight.reshape(*per_channel) + self.bias.reshape(*per_channel)


class BatchNorm1d(_BatchNorm):
    """Batch norm of (batch, features)."""
    ndim = 2


class BatchNorm2d(_BatchNorm):
    """Batch norm of images (batch, channels, height, width), per channel."""
    ndim = 4
