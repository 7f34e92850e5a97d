import numpy as np

from minivae.data import sprites


def test_sprites_follow_their_factors():
    x, f = sprites(300, seed=0)
    assert x.shape == (300, 784) and set(np.unique(x)) <= {0.0, 1.0}
    img = x.reshape(-1, 28, 28)
    area = img.sum((1, 2))
    assert np.corrcoef(area, f[:, 1] ** 2)[0, 1] > 0.8           # bigger scale, more pixels
    ys, xs = np.mgrid[:28, :28]
    cx = (img * xs).sum((1, 2)) / area / 28
    cy = (img * ys).sum((1, 2)) / area / 28
    assert np.abs(cx - f[:, 3]).mean() < 0.03 and np.abs(cy - f[:, 4]).mean() < 0.05
    again, _ = sprites(300, seed=0)
    np.testing.assert_array_equal(x, again)
