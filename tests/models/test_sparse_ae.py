import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import SparseAutoencoder
from minivae.testing import gradcheck
from training import mean_loss, train


def _omega(penalty, z):
    model = SparseAutoencoder(2, z.shape[1], penalty=penalty)
    return model.sparsity(mv.tensor(z, dtype=np.float64)).item()


def test_the_l1_penalty_is_the_mean_code_l1_norm_and_follows_scale():
    z = np.random.default_rng(0).standard_normal((50, 3))
    assert _omega("l1", z) == pytest.approx(np.abs(z).sum(1).mean())
    assert _omega("l1", 0.1 * z) == pytest.approx(0.1 * _omega("l1", z))


def test_the_units_penalty_counts_units_and_is_blind_to_scale():
    """0 with one unit carrying the code, sqrt(d) - 1 with d alike; a common scale changes
    nothing, so shrinking every code (what the L1 penalty buys) does not lower it."""
    rng = np.random.default_rng(0)
    one = np.zeros((200, 3))
    one[:, 1] = rng.standard_normal(200)
    assert _omega("units", one) == pytest.approx(0.0, abs=1e-5)   # the 1e-12 under each root
    alike = rng.choice([-1.0, 1.0], (200, 4))
    assert _omega("units", alike) == pytest.approx(1.0)            # sqrt(4) - 1
    z = rng.standard_normal((200, 3)) * [3.0, 1.0, 0.2]
    assert _omega("units", 0.01 * z) == pytest.approx(_omega("units", z))
    assert 0 < _omega("units", z) < np.sqrt(3) - 1


def test_the_units_penalty_gradient():
    z = np.random.default_rng(1).standard_normal((6, 3))
    model = SparseAutoencoder(2, 3, penalty="units")
    assert gradcheck(model.sparsity, z)


def test_the_l1_penalty_makes_codes_smaller():
    x = ring(2000)
    l1 = {}
    for lam in (0.0, 1.0):
        mv.manual_seed(0)
        model = SparseAutoencoder(2, 8, hidden=(32,), lam=lam)
        before = mean_loss(model, x)
        train(model, x, steps=400, lr=3e-3)
        assert mean_loss(model, x) < before
        with mv.no_grad():
            l1[lam] = np.abs(model.encode(mv.tensor(x)).numpy()).sum(1).mean()
    assert l1[1.0] < 0.5 * l1[0.0]


def test_an_unknown_penalty_is_refused():
    with pytest.raises(ValueError, match="penalty must be one of l1, units; got 'l2'"):
        SparseAutoencoder(2, 2, penalty="l2")
