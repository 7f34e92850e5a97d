import numpy as np

from minivae.data import ring


def test_ring_is_z_over_2_plus_unit_direction():
    x = ring(5000, seed=0)
    z = np.random.default_rng(0).standard_normal((5000, 2))
    np.testing.assert_allclose(x, z / 2 + z / np.linalg.norm(z, axis=1, keepdims=True), rtol=1e-6)
    assert x.dtype == np.float32
    r = np.linalg.norm(x, axis=1)
    assert r.min() > 1.0 - 1e-6   # |z/2 + z/|z|| = |z|/2 + 1 >= 1
