import numpy as np
import pytest

import minivae as mv
from minivae.models import ConditionalVAE
from training import mean_loss, train

CENTRES = np.array([[2.0, 0.0, 0.0, 1.0], [-2.0, 0.0, 1.0, 0.0], [0.0, 2.5, -1.0, -1.0]], np.float32)


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return (CENTRES[y] + 0.2 * rng.standard_normal((n, 4))).astype(np.float32), y


def _trained():
    mv.manual_seed(0)
    x, y = _data()
    model = ConditionalVAE(4, 3, z_dim=2, hidden=(32,), sigma=0.2)
    before = mean_loss(model, x, y)
    train(model, x, y, steps=600, lr=3e-3)
    return model, before, x, y


def test_cvae_learns_and_samples_the_asked_class():
    model, before, x, y = _trained()
    assert mean_loss(model, x, y) < before - 1.0
    for c in range(3):
        samples = model.sample(300, c)
        nearest = np.argmin(((samples[:, None, :] - CENTRES) ** 2).sum(-1), axis=1)
        assert (nearest == c).mean() > 0.9


def test_cvae_fills_holes():
    model, _, _, _ = _trained()
    x, y = _data(200, seed=3)
    visible = np.ones_like(x)
    visible[:, 2:] = 0.0                      # hide the last two coordinates
    filled = model.complete(x, visible, y)
    np.testing.assert_array_equal(filled[:, :2], x[:, :2])
    assert np.abs(filled[:, 2:] - x[:, 2:]).mean() < 0.5 * np.abs(x[:, 2:] - x[:, 2:].mean()).mean()


def test_cvae_label_errors():
    model = ConditionalVAE(4, 3)
    with pytest.raises(ValueError, match="needs labels"):
        model.loss(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"integer labels in \[0, 3\), got int64 values from 0 to 5"):
        model.loss(np.ones((2, 4)), np.array([0, 5]))
    with pytest.raises(ValueError, match=r"y must hold 2 labels, one per example, got shape \(3,\)"):
        model.loss(np.ones((2, 4)), np.array([0, 1, 2]))


def test_sampling_without_a_class_draws_each_samples_class():
    """Issue 35: sample(4) without y once said "y must be 4 integer labels ..., got shape (4,)"."""
    import minivae as mv
    mv.manual_seed(0)
    model = ConditionalVAE(4, 3, hidden=[8])
    assert model.sample(5).shape == (5, 4)
    def no_identity(*args, **kwargs):   # issue 35, row 19: a label of 30000 once made a 30000 x 30000 identity
        raise AssertionError("an identity matrix was made")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np, "eye", no_identity)
        assert model.one_hot(np.array([29_999, 0, 7]), 30_000).numpy().sum() == 3
    one_hot = model.one_hot(np.array([[2, 0], [1, 2]]), 3).numpy()
    assert one_hot.shape == (2, 2, 3) and (one_hot.argmax(-1) == [[2, 0], [1, 2]]).all() and one_hot.sum() == 4
