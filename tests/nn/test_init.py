import numpy as np

from minivae.backend import Generator
from minivae.nn import init


def test_glorot_uniform_bounds_and_variance():
    w = init.glorot_uniform((400, 600), generator=Generator(0))
    a = np.sqrt(6 / 1000)
    assert w.dtype == np.float32 and np.abs(w).max() <= a
    np.testing.assert_allclose(w.var(), a * a / 3, rtol=0.02)


def test_he_normal_variance():
    w = init.he_normal((500, 400), generator=Generator(0))
    np.testing.assert_allclose(w.std(), np.sqrt(2 / 500), rtol=0.01)
    np.testing.assert_allclose(w.mean(), 0, atol=3 * np.sqrt(2 / 500) / np.sqrt(w.size))


def test_normal_std():
    w = init.normal((300, 300), std=0.05, generator=Generator(1))
    np.testing.assert_allclose(w.std(), 0.05, rtol=0.01)
