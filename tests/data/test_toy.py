import numpy as np

from minivae.data import gaussian_bump, mixture, pinwheel, ring, swiss_roll


def test_ring_is_z_over_2_plus_unit_direction():
    x = ring(5000, seed=0)
    z = np.random.default_rng(0).standard_normal((5000, 2))
    np.testing.assert_allclose(x, z / 2 + z / np.linalg.norm(z, axis=1, keepdims=True), rtol=1e-6)
    assert x.dtype == np.float32
    assert np.linalg.norm(x, axis=1).min() > 1.0 - 1e-6   # |z/2 + z/|z|| = |z|/2 + 1 >= 1


def test_bump_peaks_at_its_centre():
    x, centre = gaussian_bump(100, dim=32)
    np.testing.assert_allclose(np.argmax(x, 1), np.round(centre), atol=1)
    assert x.max() <= 1.0 and x.shape == (100, 32)


def test_mixture_and_pinwheel_labels():
    x, y = mixture(2000)
    angle = np.arctan2(x[:, 1], x[:, 0]) % (2 * np.pi)
    assert (np.round(angle / (2 * np.pi / 10)) % 10 == y).mean() > 0.9
    x, y = pinwheel(1000)
    assert x.shape == (1000, 2) and set(np.unique(y)) == set(range(5))


def test_swiss_roll_label_follows_the_spiral():
    x, y = swiss_roll(2000, noise=0.0)
    r = np.linalg.norm(x, axis=1)
    assert np.corrcoef(r, y)[0, 1] > 0.99
