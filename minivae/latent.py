"""Editing in code space, as the lectures do with faces: an attribute's direction is the mean
code of the inputs that have it minus the mean code of those that do not (the "smile
vector"); adding it to a code and decoding adds the attribute. And sampling around one
input: codes drawn from its posterior q(z|x), decoded.

    v = attribute_vector(model, x, mask)          mean z(x | attribute) - mean z(x | no attribute)
    edit(model, x, v, [-1, 0, 1])                 decode(z(x) + a v) for each amount a
    posterior_codes(model, x, 16)                 z_i ~ q(z|x)
    posterior_samples(model, x, 16)               decode(z_i), z_i ~ q(z|x)
    decode(model, z)                              the decoder's means at codes z
    decoded_grid(model, 15)                       decode(z) over a 15 x 15 grid of N(0, 1) quantiles

z(x) is ``model.code(x)``: the posterior mean for the VAEs, the code for autoencoders.
"""
import numpy as np

from . import backend
from .core import no_grad


def quantile_grid(n, z_dim=2, units=(0, 1)):
    """A 2-D grid of codes at the standard Gaussian's quantiles, z = Phi^-1(u), u evenly
    spaced in (0.05, 0.95) (Kingma & Welling's Fig. 4; Makhzani et al.'s Fig. 2e): row by
    row from the top (second unit falling), the first unit rising along each row. With a
    wider code the grid spans ``units`` and the rest stay at 0, the prior's mean."""
    from scipy.stats import norm
    q = norm.ppf(np.linspace(0.05, 0.95, n))
    z = np.zeros((n * n, z_dim), np.float32)
    z[:, list(units)] = [[a, b] for b in q[::-1] for a in q]
    return z


def decoded_grid(model, n=15, units=(0, 1), y=None):
    """The decoder's means over ``quantile_grid``: (n * n, x_dim)."""
    return _decode(model, quantile_grid(n, getattr(model, "z_dim", 2), units), y)


def traversal(model, x, span=2.5, steps=9, units=None, y=None):
    """Each unit of ``units`` (default: all) moved from -span to +span around the code of
    the one input x, the others fixed, decoded: (units, steps, x_dim)."""
    z0 = codes(model, np.asarray(x, np.float32)[None], y)[0]
    units = range(len(z0)) if units is None else list(units)
    rows = []
    for j in units:
        z = np.repeat(z0[None], steps, 0)
        z[:, j] = np.linspace(-span, span, steps)
        rows.append(_decode(model, z, y))
    return np.stack(rows)


def codes(model, x, y=None):
    """z(x) for each input, as a NumPy array (n, z_dim)."""
    with no_grad():
        return backend.to_device(model.code(model.as_input(x), y).data, "cpu")


def attribute_vector(model, x, mask, y=None):
    """The code-space direction of the attribute that ``mask`` (one bool per input) marks."""
    z = codes(model, x, y)
    mask = np.asarray(mask)
    if mask.shape != (len(z),) or mask.dtype != bool:
        raise ValueError(f"attribute_vector: mask must be {len(z)} booleans, one per input, "
                         f"got {mask.dtype} of shape {mask.shape}")
    if mask.all() or not mask.any():
        raise ValueError("attribute_vector: the mask must mark some inputs with the attribute and some without")
    return z[mask].mean(0) - z[~mask].mean(0)


def edit(model, x, vector, amounts, y=None):
    """decode(z(x) + a * vector) for each amount a: data means, shape (len(amounts), n, x_dim)."""
    z = codes(model, x, y)
    vector = np.asarray(vector, z.dtype)
    if vector.shape != z.shape[1:]:
        raise ValueError(f"edit: the vector has shape {vector.shape}; the codes have {z.shape[1:]}")
    return np.stack([_decode(model, z + a * vector, y) for a in np.atleast_1d(amounts)])


def posterior_codes(model, x, n, y=None, generator=None, name="posterior_codes"):
    """n codes drawn from each input's posterior q(z|x) = N(mu, diag(exp(logvar))): shape
    (len(x), n, z_dim). Needs a model whose ``encode`` gives (mu, logvar)."""
    if n < 1:
        raise ValueError(f"{name}: n must be positive, got {n}")
    with no_grad():
        encoded = model.encode(model.as_input(x), y)
    if not (isinstance(encoded, tuple) and len(encoded) == 2):
        raise TypeError(f"{name}: {type(model).__name__} has no Gaussian posterior q(z|x)")
    mu, logvar = (backend.to_device(t.data, "cpu") for t in encoded)
    eps = (generator or backend.default_generator()).normal((len(mu), n, mu.shape[1]), dtype=mu.dtype)
    return mu[:, None] + np.exp(0.5 * logvar)[:, None] * np.asarray(backend.to_device(eps, "cpu"))


def posterior_samples(model, x, n, y=None, generator=None):
    """n codes drawn from each input's posterior q(z|x), decoded: shape (len(x), n, x_dim)."""
    z = posterior_codes(model, x, n, y, generator, "posterior_samples")
    labels = None if y is None else np.repeat(np.asarray(y), n)
    return _decode(model, z.reshape(-1, z.shape[2]), labels).reshape(len(z), n, -1)


def _decode(model, codes, y):
    with no_grad():
        return model.data_mean(model.decode(model.constant(codes.astype(np.float32)), y)).numpy()


def decode(model, z, y=None):
    """The decoder's means at codes z (n, z_dim): (n, x_dim)."""
    return _decode(model, np.asarray(z, np.float32), y)
