"""Layers that only reshape: between images (N, C, H, W) and vectors (N, C H W)."""
import math

from .module import Module


class Flatten(Module):
    """Merge the axes start_dim..end_dim into one (by default all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


class Unflatten(Module):
    """Split axis ``dim`` into ``sizes``, e.g. Unflatten(1, (1, 28, 28)) for MNIST images."""

    def __init__(self, dim, sizes):
        super().__init__()
        self.dim, self.sizes = dim, tuple(sizes)

    def forward(self, x):
        dim = self.dim % x.ndim
        if x.shape[dim] != math.prod(self.sizes):
            raise ValueError(f"Unflatten: axis {dim} of {x.shape} has {x.shape[dim]} entries, "
                             f"not {math.prod(self.sizes)} = prod{self.sizes}")
        return x.reshape(x.shape[:dim] + self.sizes + x.shape[dim + 1:])
