import numpy as np
import pytest

import minivae as mv
from minivae.backend import Generator
from minivae.models import DenoisingAutoencoder
from training import train


PLANE = np.random.default_rng(0).standard_normal((2, 10))


def _data(n=3000, seed=0):
    """Points on a 2-D plane in 10-D: denoising can project noisy points back onto it."""
    return (np.random.default_rng(seed).standard_normal((n, 2)) @ PLANE).astype(np.float32)


def test_denoising_brings_corrupted_inputs_closer_to_clean():
    mv.manual_seed(0)
    x = _data()
    model = train(DenoisingAutoencoder(10, 4, hidden=(64,), corruption="gaussian", level=0.5), x,
                  steps=800, lr=3e-3, batch=128)
    test = _data(500, seed=1)
    noisy = model.corrupt(test, Generator(5))
    cleaned = model.reconstruct(noisy)
    assert ((cleaned - test) ** 2).mean() < 0.5 * ((noisy - test) ** 2).mean()


@pytest.mark.parametrize("kind", ["masking", "salt_pepper"])
def test_corruption_rates(kind):
    model = DenoisingAutoencoder(100, corruption=kind, level=0.3)
    x = np.full((200, 100), 0.5, np.float32)
    changed = (model.corrupt(x, Generator(0)) != x).mean()
    assert abs(changed - 0.3) < 0.02


def test_blur_acts_within_each_image():
    model = DenoisingAutoencoder(16, corruption="blur", level=1.0, image_shape=(4, 4))
    x = np.zeros((2, 16), np.float32)
    x[0, 5] = 1.0
    out = model.corrupt(x)
    assert out[1].max() == 0.0 and out[0, 5] < 1.0 and out[0].sum() == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ValueError, match="blur needs image_shape"):
        DenoisingAutoencoder(16, corruption="blur")


def test_corruptions_compose_as_the_lectures_blur_of_noise():
    """"gaussian+blur" is blur(x + eps): the same noise, then the same blur, in that order."""
    from scipy.ndimage import gaussian_filter
    model = DenoisingAutoencoder(64, corruption="gaussian+blur", level=(0.3, 1.0), image_shape=(8, 8))
    x = np.random.default_rng(0).random((3, 64)).astype(np.float32)
    noise = Generator(5).normal((3, 64))
    want = gaussian_filter((x + 0.3 * noise).reshape(3, 8, 8), sigma=(0, 1.0, 1.0)).reshape(3, 64)
    np.testing.assert_allclose(model.corrupt(x, Generator(5)), want, rtol=1e-5, atol=1e-6)
    noisy_blur = DenoisingAutoencoder(64, corruption="blur+gaussian", level=(1.0, 0.3), image_shape=(8, 8))
    assert not np.allclose(noisy_blur.corrupt(x, Generator(5)), want, atol=1e-3)   # the order matters
    with pytest.raises(ValueError, match="2 corruptions need 2 levels"):
        DenoisingAutoencoder(64, corruption="gaussian+blur", level=(0.3,), image_shape=(8, 8))
    with pytest.raises(ValueError, match="joined by"):
        DenoisingAutoencoder(64, corruption="gaussian+fog")
