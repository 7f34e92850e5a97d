"""Inverted dropout: zero each entry with probability p, scale the rest by 1/(1-p)."""
from .. import backend


def dropout(x, p=0.5, training=True, generator=None):
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    rng = generator or backend.default_generator(x.device)
    keep = rng.bernoulli(1.0 - p, x.shape, dtype=x.dtype)
    return x * (keep / x.dtype.type(1.0 - p))
