"""VAE/GAN (Larsen et al. 2016): a VAE whose decoder doubles as a GAN's generator, with the
reconstruction error measured in the features of a discriminator layer, D_l, instead of
pixel by pixel:

  L_prior   = KL(q(z|x) || p(z))
  L_llike   = -log N(D_l(x); D_l(x~), I),  x~ = decode(z), z ~ q(z|x)
  L_GAN     = log D(x) + log(1 - D(x~)) + log(1 - D(x_p)),  x_p = decode(z_p), z_p ~ p(z)
Players: the encoder minimizes L_prior + L_llike; the decoder gamma * L_llike - L_GAN (as
-log D(x~) - log D(x_p), the non-saturating form); the discriminator -L_GAN. gamma = 1e-2 is
the authors' code's default (``recon_vs_gan_weight`` in andersbll/autoencoding_beyond_pixels,
model/aegan.py, which weighs the decoder's two gradients gamma and 1 - gamma); their 64 x 64
face runs used 1e-6 to 5e-5, for a feature error summed over far more features than a
28 x 28 image's discriminator has.

``networks="conv"`` builds the paper's kind of networks for images: convolutional encoder,
decoder and discriminator, with D_l the discriminator's last convolution (flattened) and a
Linear layer on it for D (nn/convnet.py); "mlp" (the default) builds MLPs of ``hidden`` and
``disc_hidden``.
"""
import contextlib

import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP
from ..nn.convnet import ConvDecoder, ConvEncoder
from .base import Model
from .conv import image_shape_of
from .gan import discriminator
from .likelihood import Likelihood


class VAEGAN(Model):
    def __init__(self, x_dim, z_dim=2, hidden=(64, 64), activation="relu", likelihood="gaussian",
                 disc_hidden=(64, 32), gamma=1e-2, networks="mlp", channels=(32, 64), image_shape=None,
                 batchnorm=False, generator=None):
        super().__init__()
        self.x_dim, self.z_dim, self.gamma = x_dim, z_dim, gamma
        self.generator = generator or backend.default_generator()
        self.features, self.head = discriminator(x_dim, networks, disc_hidden, channels, image_shape, generator,
                                                 "VAEGAN")                                         # D_l, D's logit
        if networks == "mlp":
            self.encoder = MLP([x_dim, *hidden, 2 * z_dim], activation, batchnorm=batchnorm, generator=generator)
            self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        else:
            shape = image_shape_of(x_dim, image_shape, "VAEGAN")
            self.encoder = ConvEncoder(shape, channels, 2 * z_dim, activation, generator)
            self.decoder = ConvDecoder(z_dim, shape, channels, activation, generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def encode(self, x, y=None):
        return F.split(self.encoder(x), 2, axis=-1)

    def code(self, x, y=None):
        return self.encode(x)[0]

    def decode(self, z, y=None):
        return self.decoder(z)

    def data_mean(self, out):
        return self.likelihood.mean(out)

    def players(self):
        return {"encoder": self.encoder.parameters(), "decoder": self.decoder.parameters(),
                "discriminator": self.features.parameters() + self.head.parameters()}

    def losses(self, x, y=None, player=None):
        """The players' losses; with ``player``, only what that one needs (the discriminator's
        step runs the VAE without a graph). The noise is drawn the same way either way."""
        x = self.as_input(x)
        n = x.shape[0]
        with no_grad() if player == "discriminator" else contextlib.nullcontext():
            mu, logvar = self.encode(x)
            z, kl = F.reparameterize_kl(mu, logvar, self.generator.normal(mu.shape))
            x_tilde = self.data_mean(self.decode(z))
            x_p = self.data_mean(self.decode(self.constant(self.generator.normal((n, self.z_dim)))))
        ones, zeros = self.filled((n, 1), 1.0), self.filled((n, 1), 0.0)
        d = lambda v: self.head(self.features(v))
        f_x, out = self.features(x), {}
        if player in (None, "encoder", "decoder"):
            llike = self.feature_nll(f_x, self.features(x_tilde))
        if player in (None, "encoder"):
            out["encoder"] = kl.mean() + llike
        if player in (None, "decoder"):
            out["decoder"] = llike * self.gamma + F.bce_with_logits(d(x_tilde), ones) + F.bce_with_logits(d(x_p), ones)
        if player in (None, "discriminator"):
            out["discriminator"] = (F.bce_with_logits(self.head(f_x), ones) + F.bce_with_logits(d(x_tilde.detach()), zeros)
                                    + F.bce_with_logits(d(x_p.detach()), zeros))
        return out

    @staticmethod
    def feature_nll(f_x, f_tilde):
        """L_llike^{Dis_l} = -log N(D_l(x); D_l(x~), I), summed over features, batch mean."""
        return F.gaussian_nll(f_x, f_tilde, 0.0, reduction="none").sum(-1).mean()

    def loss(self, x, y=None):
        terms = self.losses(x, y)
        return terms["encoder"] + terms["decoder"], {k: v for k, v in terms.items()}

    def sample(self, n, y=None):
        with no_grad():
            return self.data_mean(self.decode(self.constant(self.generator.normal((n, self.z_dim))))).numpy()
