"""Editing in code space, as the lectures do with faces: an attribute's direction is the mean
code of the inputs that have it minus the mean code of those that do not (the "smile
vector"); adding it to a code and decoding adds the attribute. And sampling around one
input: codes drawn from its posterior q(z|x), decoded.

    v = attribute_vector(model, x, mask)          mean z(x | attribute) - mean z(x | no attribute)
    edit(model, x, v, [-1, 0, 1])                 decode(z(x) + a v) for each amount a
    posterior_samples(model, x, 16)               decode(z_i), z_i ~ q(z|x)

z(x) is ``model.code(x)``: the posterior mean for the VAEs, the code for autoencoders.
"""
import numpy as np

from . import backend
from .core import no_grad


def _codes(model, x, y=None):
    with no_grad():
        return backend.to_device(model.code(model.as_input(x), y).data, "cpu")


def attribute_vector(model, x, mask, y=None):
    """The code-space direction of the attribute that ``mask`` (one bool per input) marks."""
    codes = _codes(model, x, y)
    mask = np.asarray(mask)
    if mask.shape != (len(codes),) or mask.dtype != bool:
        raise ValueError(f"attribute_vector: mask must be {len(codes)} booleans, one per input, "
                         f"got {mask.dtype} of shape {mask.shape}")
    if mask.all() or not mask.any():
        raise ValueError("attribute_vector: the mask must mark some inputs with the attribute and some without")
    return codes[mask].mean(0) - codes[~mask].mean(0)


def edit(model, x, vector, amounts, y=None):
    """decode(z(x) + a * vector) for each amount a: data means, shape (len(amounts), n, x_dim)."""
    codes = _codes(model, x, y)
    vector = np.asarray(vector, codes.dtype)
    if vector.shape != codes.shape[1:]:
        raise ValueError(f"edit: the vector has shape {vector.shape}; the codes have {codes.shape[1:]}")
    return np.stack([_decode(model, codes + a * vector, y) for a in np.atleast_1d(amounts)])


def posterior_samples(model, x, n, y=None, generator=None):
    """n codes drawn from each input's posterior q(z|x) = N(mu, diag(exp(logvar))), decoded:
    shape (len(x), n, x_dim). Needs a model whose ``encode`` gives (mu, logvar)."""
    if n < 1:
        raise ValueError(f"posterior_samples: n must be positive, got {n}")
    with no_grad():
        encoded = model.encode(model.as_input(x), y)
    if not (isinstance(encoded, tuple) and len(encoded) == 2):
        raise TypeError(f"posterior_samples: {type(model).__name__} has no Gaussian posterior q(z|x)")
    mu, logvar = (backend.to_device(t.data, "cpu") for t in encoded)
    eps = (generator or backend.default_generator()).normal((len(mu), n, mu.shape[1]), dtype=mu.dtype)
    z = mu[:, None] + np.exp(0.5 * logvar)[:, None] * np.asarray(backend.to_device(eps, "cpu"))
    labels = None if y is None else np.repeat(np.asarray(y), n)
    return _decode(model, z.reshape(-1, mu.shape[1]), labels).reshape(len(mu), n, -1)


def _decode(model, codes, y):
    with no_grad():
        return model.data_mean(model.decode(model.constant(codes.astype(np.float32)), y)).numpy()
