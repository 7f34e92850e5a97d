"""Whether codes follow a prior p(z), judged so that it cannot be fooled: two two-sample
statistics between the codes and a sample of the prior, each against its own spread between
two samples of the prior itself of the same size (what chance alone gives).

The energy distance (Szekely and Rizzo 2013) between samples a and b,

    E(a, b) = 2 E||a - b|| - E||a - a'|| - E||b - b'||,

is zero only when the two distributions are equal; it sees a difference of scale or place
(a blob too tight, a shifted mean) at once, but hardly a difference of shape at the prior's
own scale: a thin ring through the centres of the ten-Gaussian mixture scores as a sample
of it. The nearest-neighbour statistic (Schilling 1986) sees that one: pool the two samples,
and count how often a point's k nearest neighbours come from its own sample; 1/2 when they
are alike, towards 1 when one sample sits where the other does not.

``prior_match`` reports each statistic's excess over chance in units of the null's 95th
percentile (``energy_ratio``, ``neighbour_ratio``: about 1 or less for codes that no test of
that size can tell from the prior). Codes ``match`` the prior when the energy ratio is at
most MATCH_ENERGY and the neighbour ratio at most MATCH_NEIGHBOURS: bounds that let a
slightly scaled or shifted draw of the prior pass and refuse a ring or a blob (their values
are in docs/quality.md). The neighbour statistic is the stricter: the gaps an autoencoder
leaves between its classes show in it, so its bound is looser; it is there for the rings
and shells the energy distance misses.
"""
import numpy as np


MATCH_ENERGY, MATCH_NEIGHBOURS = 5.0, 20.0


def energy_distance(a, b):
    """The two-sample energy distance between the rows of a and b (both (n, d))."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or not len(a) or not len(b):
        raise ValueError(f"energy_distance: a {a.shape} and b {b.shape} must be non-empty (n, d) of one d")
    return 2 * _mean_distance(a, b) - _mean_distance(a, a) - _mean_distance(b, b)


def _mean_distance(a, b, block=1000):
    """E||a_i - b_j|| over every pair, in blocks of rows (memory: block x len(b))."""
    total = 0.0
    for i in range(0, len(a), block):
        part = a[i:i + block]
        squares = (part ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * part @ b.T
        total += np.sqrt(np.maximum(squares, 0.0)).sum()
    return total / (len(a) * len(b))


def neighbour_statistic(a, b, k=10):
    """The share of the pooled sample's k nearest neighbours that come from a point's own
    sample (Schilling 1986): about 1/2 for two samples of one distribution."""
    from scipy.spatial import cKDTree
    pooled = np.concatenate([np.asarray(a, np.float64), np.asarray(b, np.float64)])
    own = np.r_[np.zeros(len(a), bool), np.ones(len(b), bool)]
    _, index = cKDTree(pooled).query(pooled, k + 1)
    return float((own[index[:, 1:]] == own[:, None]).mean())


def prior_match(codes, draw, repeats=20, seed=0):
    """How far ``codes`` (n, d) are from the prior that ``draw(n, rng)`` samples (a NumPy
    Generator ``rng``), against chance: each statistic between the codes and one prior
    sample, its null's 95th percentile over ``repeats`` pairs of prior samples of size n, the
    ratio of the two (for the neighbour statistic, of their excesses over 1/2), and ``match``."""
    codes = np.asarray(codes, np.float64)
    rng = np.random.default_rng(seed)
    n = len(codes)
    reference = draw(n, rng)
    energy, neighbours = energy_distance(codes, reference), neighbour_statistic(codes, reference)
    pairs = [(draw(n, rng), draw(n, rng)) for _ in range(repeats)]
    energy_q95 = float(np.quantile([energy_distance(a, b) for a, b in pairs], 0.95))
    neighbour_q95 = float(np.quantile([neighbour_statistic(a, b) for a, b in pairs], 0.95))
    facts = {"energy": float(energy), "energy_q95": energy_q95, "energy_ratio": float(energy / energy_q95),
             "neighbours": neighbours, "neighbour_q95": neighbour_q95,
             "neighbour_ratio": float((neighbours - 0.5) / (neighbour_q95 - 0.5))}
    facts["match"] = facts["energy_ratio"] <= MATCH_ENERGY and facts["neighbour_ratio"] <= MATCH_NEIGHBOURS
    return facts


def in_component(codes, centres, std, components=None):
    """The share of codes within two standard deviations of a mixture component's centre:
    of their own component's (``components``: each code's index) when given, else of any.
    A draw of the prior itself scores 1 - exp(-2) = 0.865 in 2-D."""
    distance = _to_centres(codes, centres)
    near = distance[np.arange(len(distance)), np.asarray(components)] if components is not None else distance.min(1)
    return float((near <= 2 * std).mean())


def component_shares(codes, centres, std):
    """The share of codes within two standard deviations of each component (K,)."""
    distance = _to_centres(codes, centres)
    nearest = distance.argmin(1)
    close = distance[np.arange(len(distance)), nearest] <= 2 * std
    return np.bincount(nearest[close], minlength=len(distance[0])) / len(distance)


def _to_centres(codes, centres):
    """||code_i - centre_k|| for every code and centre: (n, K)."""
    codes, centres = np.asarray(codes, np.float64), np.asarray(centres, np.float64)
    return np.sqrt(((codes[:, None, :] - centres[None]) ** 2).sum(-1))
