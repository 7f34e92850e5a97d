"""What the code space holds: active units and reconstruction error."""
import numpy as np

from ..core import no_grad


def active_units(model, x, threshold=1e-2, batch=500, y=None):
    """Units u whose posterior mean moves with the input: Cov_x(E_q[u]) > threshold
    (Burda et al. 2016, Sec. 5.2). The rest have collapsed to the prior. ``y``: the
    labels of a conditional model."""
    with no_grad():
        means = np.concatenate([model.code(model.as_input(x[i:i + batch]),
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


def _discretize(values, bins):
    """Equal-width bins (as in disentanglement_lib); a column with few distinct values keeps them."""
    distinct = np.unique(values)
    if len(distinct) <= bins:
        return np.searchsorted(distinct, values)
    edges = np.histogram_bin_edges(values, bins)[1:-1]
    return np.digitize(values, edges)


def _mutual_information(a, b):
    """I(a; b) in nats for two arrays of small non-negative integers."""
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float((joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum())


def mutual_information_gap(codes, factors, bins=20):
    """The mutual information gap (Chen et al. 2018), with the information matrix it comes
    from: for each known factor v_k, the gap between the two latent units that carry the
    most information about it, over its entropy,

        MIG = (1/K) sum_k [I(z_(1); v_k) - I(z_(2); v_k)] / H(v_k),

    codes (n, d) and factors (n, K) discretized into ``bins`` equal-width bins. 0: every
    factor spread over several units; 1: each factor held by one unit alone.
    Returns (mig, info) with info[j, k] = I(z_j; v_k) in nats."""
    codes, factors = np.asarray(codes), np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError(f"mutual_information_gap: codes {codes.shape} and factors {factors.shape} "
                         "must be (n, d) and (n, K)")
    z = [_discretize(codes[:, j], bins) for j in range(codes.shape[1])]
    v = [_discretize(factors[:, k], bins) for k in range(factors.shape[1])]
    info = np.array([[_mutual_information(zj, vk) for vk in v] for zj in z])
    entropy = np.array([_mutual_information(vk, vk) for vk in v])
    top = np.sort(info, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    return float(np.mean((top[0] - second) / entropy)), info
