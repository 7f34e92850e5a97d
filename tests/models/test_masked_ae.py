import numpy as np

import minivae as mv
from minivae.models import MaskedAutoencoder
from training import train

PLANE = np.random.default_rng(0).standard_normal((2, 8))


def _data(n, seed):
    return (np.random.default_rng(seed).standard_normal((n, 2)) @ PLANE).astype(np.float32)


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
