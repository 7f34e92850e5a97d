"""Weight initializers. Each returns an array of ``shape`` drawn with ``generator``.

Linear weights are stored (fan_in, fan_out), so that y = x @ W + b; convolution weights
(out, in, kh, kw), each input channel seen through kh kw taps, as in PyTorch."""
import math

import numpy as np

from .. import backend


def _fans(shape):
    if len(shape) > 2:
        taps = math.prod(shape[2:])
        return shape[1] * taps, shape[0] * taps
    fan_in = shape[0] if len(shape) > 1 else 1
    fan_out = shape[1] if len(shape) > 1 else shape[0]
    return fan_in, fan_out


def glorot_uniform(shape, gain=1.0, generator=None, dtype=backend.DEFAULT_DTYPE):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return (generator or backend.default_generator()).uniform(shape, -a, a, dtype=dtype)


def he_normal(shape, generator=None, dtype=backend.DEFAULT_DTYPE):
    """N(0, 2 / fan_in), for ReLU layers (He et al. 2015)."""
    fan_in, _ = _fans(shape)
    return normal(shape, math.sqrt(2.0 / fan_in), generator, dtype)


def normal(shape, std=0.01, generator=None, dtype=backend.DEFAULT_DTYPE):
    return (generator or backend.default_generator()).normal(shape, 0.0, std, dtype=dtype)


def zeros(shape, generator=None, dtype=backend.DEFAULT_DTYPE):
    return np.zeros(shape, dtype)


INITIALIZERS = {"glorot": glorot_uniform, "he": he_normal, "normal": normal, "zeros": zeros}
