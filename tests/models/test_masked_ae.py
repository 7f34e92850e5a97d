import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import MaskedAutoencoder, create
from minivae.train import fit
from training import train

PLANE = np.random.default_rng(0).standard_normal((2, 8))


def _data(n, seed):
    return (np.random.default_rng(seed).standard_normal((n, 2)) @ PLANE).astype(np.float32)


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_the_loss_scores_only_the_hidden_entries(likelihood):
    """L = sum_j m_j l(x_j, x^_j) / sum_j m_j per example, batch mean: its gradient with
    respect to the reconstruction is zero on every visible entry, and the value is the
    hidden entries' mean error."""
    mv.manual_seed(0)
    model = MaskedAutoencoder(8, 3, hidden=(6,), likelihood=likelihood)
    x = (np.random.default_rng(1).random((5, 8)) < 0.5).astype(np.float32)
    visible = np.zeros((5, 8), np.float32)
    visible[:, :3] = 1.0
    visible[2, 3:6] = 1.0   # an example with fewer hidden entries: its own denominator
    model.hide = lambda n: visible
    decoded, decode = [], model.decode
    model.decode = lambda z, y=None: decoded.append(decode(z)) or decoded[-1]
    loss = model.loss(x)[0]
    (g,) = mv.grad(loss, [decoded[0]])
    assert np.all(g.numpy()[visible == 1] == 0) and np.all(g.numpy()[visible == 0] != 0)
    out = decoded[0].numpy().astype(np.float64)
    if likelihood == "gaussian":
        error = 0.5 * (out - x) ** 2
    else:
        error = np.logaddexp(0, out) - x * out
    hidden = 1 - visible
    assert loss.item() == pytest.approx(((error * hidden).sum(1) / hidden.sum(1)).mean(), rel=1e-5)


def test_block_masks_hide_one_rectangle_of_about_the_ratio():
    mv.manual_seed(0)
    model = MaskedAutoencoder(3 * 10 * 12, mask="blocks", mask_ratio=0.3, image_shape=(3, 10, 12))
    hidden = 1 - model.hide(2000).reshape(2000, 3, 10, 12)
    assert np.all(hidden == hidden[:, :1])                 # the same pixels in every channel
    rows, cols = hidden[:, 0].max(2), hidden[:, 0].max(1)  # a rectangle: its rows times its columns
    np.testing.assert_array_equal(hidden[:, 0], rows[:, :, None] * cols[:, None, :])
    for line in [*rows, *cols]:                               # each one run of hidden rows and of columns
        assert np.count_nonzero(np.diff(np.concatenate([[0], line, [0]]))) == 2
    assert hidden.mean() == pytest.approx(0.3, abs=0.05)
    assert len({tuple(r) for r in rows}) > 5 and len({tuple(c) for c in cols}) > 5
    with pytest.raises(ValueError, match="mask must be one of"):
        MaskedAutoencoder(16, mask="patches")
    with pytest.raises(ValueError, match="not a square image"):
        MaskedAutoencoder(15, mask="blocks")


def test_masked_autoencoder_inpaints_better_than_the_mean():
    mv.manual_seed(0)
    model = train(MaskedAutoencoder(8, 4, hidden=(64,), mask_ratio=0.4), _data(4000, 0),
                  steps=1500, lr=3e-3, batch=128)
    x = _data(300, 1)
    visible = (np.random.default_rng(2).random(x.shape) > 0.4).astype(np.float32)
    filled = model.inpaint(x, visible)
    np.testing.assert_array_equal(filled[visible == 1], x[visible == 1])
    hidden = visible == 0
    assert np.abs(filled - x)[hidden].mean() < 0.5 * np.abs(x)[hidden].mean()
