import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.models.conv import ConvVAE
from minivae.train import fit

SPRITES = load_dataset("sprites", n=1200)   # 28 x 28 binary images, MNIST-like


@pytest.mark.parametrize("name", ["conv-vae", "conv-ae"])
def test_it_learns_the_sprites(name):
    mv.manual_seed(0)
    model = create(name, x_dim=784, z_dim=8, channels=(16, 32))
    before = model.loss(SPRITES.valid)[0].item()
    history = fit(model, SPRITES.train, valid=SPRITES.valid, epochs=3, batch_size=50, lr=2e-3, progress=False,
                  log=lambda r: None)
    assert history[-1]["valid_loss"] < 0.45 * before   # from about 543 nats to under 245
    assert model.reconstruct(SPRITES.valid[:4]).shape == (4, 784)


def test_the_encoder_is_convolutional():
    """Its feature maps move with the image: shifting the input by the total stride (4
    pixels for two stride-2 layers) shifts the last map by one cell, away from the borders."""
    mv.manual_seed(1)
    model = ConvVAE(32 * 32, z_dim=2, channels=(3, 5))
    image = np.zeros((1, 32, 32), np.float32)
    image[0, 10:16, 9:14] = 1.0
    shifted = np.roll(image, (4, 4), axis=(1, 2))
    features = mv.nn.Sequential(*model.encoder[:-1])   # the convolutions, before the Linear layer
    a = features(mv.tensor(image.reshape(1, -1))).numpy()
    b = features(mv.tensor(shifted.reshape(1, -1))).numpy()
    assert a.shape == (1, 5, 8, 8)
    np.testing.assert_allclose(b[:, :, 2:7, 2:7], a[:, :, 1:6, 1:6], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, b)


def test_non_square_images_need_their_shape():
    with pytest.raises(ValueError, match="not a square image; give image_shape"):
        create("conv-vae", x_dim=780)
    with pytest.raises(ValueError, match=r"image_shape \(3, 10, 10\) does not hold"):
        create("conv-ae", x_dim=784, image_shape=(3, 10, 10))
    model = create("conv-vae", x_dim=3 * 13 * 9, image_shape=(3, 13, 9), channels=(4, 4), z_dim=2)
    assert model.sample(2).shape == (2, 351)
