"""What the code space holds: active units and reconstruction error."""
import numpy as np

from ..core import no_grad
from .likelihood import _tensor


def active_units(model, x, threshold=1e-2, batch=500, y=None):
    """Units u whose posterior mean moves with the input: Cov_x(E_q[u]) > threshold
    (Burda et al. 2016, Sec. 5.2). The rest have collapsed to the prior. ``y``: the
    labels of a conditional model."""
    with no_grad():
        means = np.concatenate([model.code(_tensor(np.asarray(x[i:i + batch], np.float32)),
                                           None if y is None else y[i:i + batch]).numpy()
                                for i in range(0, len(x), batch)])
    variance = means.var(0)
    return int((variance > threshold).sum()), variance


def reconstruction_error(model, x, batch=500, y=None):
    """Mean squared error between x and its reconstruction, per example."""
    errors = [((model.reconstruct(np.asarray(x[i:i + batch], np.float32), None if y is None else y[i:i + batch])
                - x[i:i + batch]) ** 2).sum(1)
              for i in range(0, len(x), batch)]
    return float(np.concatenate(errors).mean())
