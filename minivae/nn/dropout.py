from .. import ops
from .module import Module


class Dropout(Module):
    """Inverted dropout in training; the identity in eval mode."""

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p, self.generator = p, generator

    def forward(self, x):
        return ops.dropout(x, self.p, self.training, self.generator)
