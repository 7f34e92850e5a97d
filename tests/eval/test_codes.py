import numpy as np
import pytest

import minivae as mv
from minivae.eval import active_units, reconstruction_error
from minivae.models import VAE


def test_active_units_count_the_informative_ones():
    model = VAE(4, 3, hidden=())
    W = np.zeros((4, 6), np.float32)
    W[0, 0], W[1, 1] = 1.0, 0.05     # unit 0 follows x0 strongly, unit 1 barely, unit 2 not at all
    model.encoder[0].weight.data, model.encoder[0].bias.data = W, np.zeros(6, np.float32)
    x = np.random.default_rng(0).standard_normal((1000, 4)).astype(np.float32)
    count, variance = active_units(model, x)
    assert count == 1 and variance[0] > 0.5 and variance[1] < 0.01 and variance[2] == 0


def test_reconstruction_error_matches_a_direct_computation():
    mv.manual_seed(0)
    model = VAE(3, 2, hidden=(8,))
    x = np.random.default_rng(1).standard_normal((7, 3)).astype(np.float32)
    direct = ((model.reconstruct(x) - x) ** 2).sum(1).mean()
    np.testing.assert_allclose(reconstruction_error(model, x, batch=3), direct, rtol=1e-5)


def test_mutual_information_gap_separates_disentangled_from_entangled_codes():
    from minivae.eval import mutual_information_gap
    rng = np.random.default_rng(0)
    factors = np.stack([rng.integers(0, 3, 5000), rng.uniform(0, 1, 5000)], 1)
    noise = rng.standard_normal((5000, 1))
    one_each = np.concatenate([factors + 0.01 * rng.standard_normal(factors.shape), noise], 1)
    mig, info = mutual_information_gap(one_each, factors)
    assert mig > 0.8 and info[0, 0] > 1.0 and info[2].max() < 0.05   # the noise unit knows nothing
    np.testing.assert_allclose(info[0, 0], np.log(3), rtol=0.02)       # I(z; v) = H(v) for a copy of v
    rotated = one_each[:, :2] @ np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)   # each unit mixes both
    assert mutual_information_gap(rotated, factors)[0] < mig - 0.3
    with pytest.raises(ValueError, match="must be"):
        mutual_information_gap(one_each[:10], factors)
