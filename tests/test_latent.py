import numpy as np
import pytest

import minivae as mv
from minivae import latent
from minivae.data import load_dataset
from minivae.models import create
from minivae.models.base import Model
from minivae.train import fit

SPRITES = load_dataset("sprites", n=4000)   # factors: shape, scale, rotation, x, y


@pytest.fixture(scope="module")
def vae():
    mv.manual_seed(0)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli")
    fit(model, SPRITES.train, epochs=8, batch_size=100, lr=2e-3, progress=False, log=lambda r: None)
    return model


def test_the_scale_direction_makes_decoded_sprites_larger(vae):
    """Adding the 'large' direction grows the decoded shapes (more lit pixels), taking it
    away shrinks them; a direction from a random split of the same inputs does far less."""
    scale = SPRITES.factors_train[:, 1]
    x = SPRITES.valid[:200]
    mass = lambda v: [float(images.sum(1).mean()) for images in latent.edit(vae, x, v, [-1.0, 0.0, 1.0])]
    smaller, same, larger = mass(latent.attribute_vector(vae, SPRITES.train, scale > np.median(scale)))
    assert larger > same + 15 and smaller < same - 15
    random = np.random.default_rng(0).random(len(scale)) < 0.5
    r_smaller, _, r_larger = mass(latent.attribute_vector(vae, SPRITES.train, random))
    assert abs(r_larger - r_smaller) < 0.2 * (larger - smaller)


def test_the_attribute_vector_is_the_difference_of_mean_codes(vae):
    x = SPRITES.valid[:50]
    mask = np.arange(50) % 3 == 0
    codes = vae.code(mv.tensor(x)).numpy()
    np.testing.assert_allclose(latent.attribute_vector(vae, x, mask), codes[mask].mean(0) - codes[~mask].mean(0),
                               rtol=1e-6)


class Shift(Model):
    """q(z|x) = N(x, diag(exp(logvar))) and the identity decoder: samples are codes."""
    x_dim = 2

    def __init__(self, logvar):
        super().__init__()
        self.logvar = logvar

    def encode(self, x, y=None):
        return x, x * 0.0 + self.logvar

    def decode(self, z, y=None):
        return z


def test_posterior_samples_follow_q():
    mu = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    samples = latent.posterior_samples(Shift(np.log(0.25)), mu, 20000, generator=mv.backend.Generator(1))
    assert samples.shape == (2, 20000, 2)
    np.testing.assert_allclose(samples.mean(1), mu, atol=0.02)
    np.testing.assert_allclose(samples.std(1), 0.5, rtol=0.02)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, x: latent.attribute_vector(m, x, np.ones(len(x), bool)), ValueError, "some inputs with"),
    (lambda m, x: latent.attribute_vector(m, x, np.ones(len(x))), ValueError, "booleans, one per input"),
    (lambda m, x: latent.edit(m, x, np.zeros(3), [1.0]), ValueError, "the vector has shape"),
    (lambda m, x: latent.posterior_samples(create("ae", x_dim=784, z_dim=8), x, 2), TypeError, "no Gaussian"),
    (lambda m, x: latent.posterior_samples(m, x, 0), ValueError, "n must be positive"),
])
def test_bad_arguments_are_named(vae, call, error, message):
    with pytest.raises(error, match=message):
        call(vae, SPRITES.valid[:10])
