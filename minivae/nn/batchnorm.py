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
    PyTorch's arguments and state: ``momentum=None`` keeps the running statistics as a
    plain average over ``num_batches_tracked`` batches; ``affine=False`` has no gamma and
    beta; ``track_running_stats=False`` keeps no statistics and uses the batch's in eval
    too. A PyTorch BatchNorm's state dict loads (its arrays as NumPy), and a minivae
    checkpoint saved before ``num_batches_tracked`` existed loads as if it were 0.
    In a data-parallel fit ``world`` is set, and the statistics are those of the global
    batch: each sum goes over the ranks' rows (minivae.distributed)."""
    ndims = ()
    world = None
    optional_buffers = ("num_batches_tracked",)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=backend.DEFAULT_DTYPE):
        super().__init__()
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must lie in [0, 1] or be None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype))
            self.bias = Parameter(np.zeros(num_features, dtype))
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self.ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected shape " + " or ".join(
                f"(batch, {self.num_features}{rest})" for rest in self.shapes) + f", got {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (1, -1) + (1,) * (x.ndim - 2)
        if self.training or not self.track_running_stats:
            total = _alone if self.world is None else self.world.total
            n = total(x.size // x.shape[1])
            if n < 2:
                raise ValueError(f"{name}: training needs at least 2 values per channel")
            mean = total(x.sum(axes, keepdims=True)) / n
            centered = x - mean
            var = total((centered * centered).sum(axes, keepdims=True)) / n
            if self.training and self.track_running_stats:
                self._track(mean.data.reshape(-1), var.data.reshape(-1) * (n / (n - 1)))
            inv_std = 1.0 / ops.sqrt(var + self.eps)
        else:
            xp = backend.array_module(x.device)
            centered = x - self.running_mean.reshape(per_channel)
            inv_std = 1.0 / xp.sqrt(self.running_var.reshape(per_channel) + self.eps)
        y = centered * inv_std
        return y * self.weight.reshape(*per_channel) + self.bias.reshape(*per_channel) if self.affine else y

    def _track(self, mean, var):
        # In place, keeping their dtype: a step recorded as a CUDA graph writes to the arrays
        # it was recorded with on every replay, and evaluation must read those.
        count = self.num_batches_tracked
        count[...] += 1
        m = self.momentum if self.momentum is not None else (1.0 / count).astype(mean.dtype)   # a plain average
        self.running_mean[...] = (1 - m) * self.running_mean + m * mean
        self.running_var[...] = (1 - m) * self.running_var + m * var


class BatchNorm1d(_BatchNorm):
    """Batch norm of (batch, features), or of (batch, channels, length) per channel."""
    ndims, shapes = (2, 3), ("", ", length")


class BatchNorm2d(_BatchNorm):
    """Batch norm of images (batch, channels, height, width), per channel."""
    ndims, shapes = (4,), (", height, width",)
