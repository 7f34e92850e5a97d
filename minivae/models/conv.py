"""The convolutional autoencoder and VAE: the same objectives as ``Autoencoder`` and
``VAE``, with convolutional networks for images (nn/convnet.py). Data stay flat, (n, C H W);
the networks see them as images of ``image_shape`` (by default one square channel)."""
import math

from ..nn.convnet import ConvDecoder, ConvEncoder
from .autoencoder import AutoencoderBase
from .likelihood import Likelihood
from .vae import VAE


def image_shape_of(x_dim, image_shape, name):
    """``image_shape`` checked against x_dim, or (1, side, side) for a square x_dim."""
    if image_shape is None:
        side = math.isqrt(x_dim)
        if side * side != x_dim:
            raise ValueError(f"{name}: {x_dim} values are not a square image; give image_shape (C, H, W)")
        return (1, side, side)
    image_shape = tuple(int(v) for v in image_shape)
    if len(image_shape) != 3 or math.prod(image_shape) != x_dim:
        raise ValueError(f"{name}: image_shape {image_shape} does not hold the data's {x_dim} values")
    return image_shape


def conv_vae_networks(model, activation, generator):
    """A convolutional encoder to (mu, log-variance) and decoder for ``model``'s images
    (its x_dim, z_dim, image_shape and channels)."""
    shape = image_shape_of(model.x_dim, model.image_shape, type(model).__name__)
    return (ConvEncoder(shape, model.channels, 2 * model.z_dim, activation, generator),
            ConvDecoder(model.z_dim, shape, model.channels, activation, generator))


class ConvAutoencoder(AutoencoderBase):
    """x -> convolutions -> code z -> transposed convolutions -> x', trained to reconstruct
    x (the lectures' convolutional autoencoder on MNIST)."""

    def __init__(self, x_dim, z_dim=16, channels=(32, 64), image_shape=None, activation="relu",
                 likelihood="bernoulli", generator=None):
        super().__init__(generator)
        self.x_dim, self.z_dim = x_dim, z_dim
        self.image_shape = image_shape_of(x_dim, image_shape, "ConvAutoencoder")
        self.encoder = ConvEncoder(self.image_shape, channels, z_dim, activation, generator)
        self.decoder = ConvDecoder(z_dim, self.image_shape, channels, activation, generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def encode(self, x, y=None):
        return self.encoder(x)


class ConvVAE(VAE):
    """The VAE with a convolutional encoder q(z|x) and decoder p(x|z)."""

    def __init__(self, x_dim, z_dim=16, channels=(32, 64), image_shape=None, activation="relu",
                 likelihood="bernoulli", sigma=None, beta=1.0, n_samples=1, kl="analytic", generator=None):
        self.image_shape = image_shape_of(x_dim, image_shape, "ConvVAE")
        self.channels = tuple(channels)
        super().__init__(x_dim, z_dim, (), activation, likelihood, sigma, beta, n_samples, kl, generator=generator)

    def networks(self, hidden, activation, generator):
        return conv_vae_networks(self, activation, generator)
