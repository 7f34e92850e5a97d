"""The GAN (Goodfellow et al. 2014), and VAE_Disl (Larsen et al. 2016): a VAE whose
reconstruction error is measured in a layer D_l of a GAN discriminator trained beforehand.

GAN players, in turn on each batch:
  discriminator   -log D(x) - log(1 - D(G(z))),   z ~ N(0, I)
  generator       -log D(G(z))                    (the non-saturating form)
VAE_Disl: train the GAN, freeze its D_l, then train a VAE on
  L = KL(q(z|x) || p(z)) - log N(D_l(x); D_l(x~), I) - w log p(x|z),   x~ = decode(z), z ~ q(z|x).
Larsen et al. compare it with VAE/GAN, where D_l keeps learning alongside the VAE. Theirs
has no pixel term (w = 0, the default): a frozen D_l is blind to what its strided
convolutions sum away, and on binarized MNIST the decoder fills that blind spot with
horizontal stripes. ``pixel_weight`` w adds the pixel likelihood back, which takes the
stripes away (docs/quality.md, "Image models", has the runs).
"""

from .. import functional as F
from ..nn import MLP, Linear, ReLU, Sequential
from ..nn.convnet import ConvDecoder, ConvFeatures, features_size
from .base import Model
from .conv import conv_vae_networks, image_shape_of
from .likelihood import Likelihood
from .vae import VAE


def discriminator(x_dim, networks, disc_hidden, channels, image_shape, generator, name, batchnorm=False):
    """(D_l, head): the features and the logit of D(x) = sigmoid(head(D_l(x))). D_l is the
    last layer before its ReLU, which the head applies (as the authors' code takes its
    layer): a ReLU's output is zero wherever the discriminator has learned to switch off
    on fakes, and an error measured there gives the decoder no gradient at all (measured:
    VAE_Disl's feature error stood still at its value for D_l(x~) = 0). With batch norm,
    that last convolution has none: the head is its ReLU and the Linear layer."""
    if networks == "mlp":
        return (MLP([x_dim, *disc_hidden], "relu", generator=generator),
                Sequential(ReLU(), MLP([disc_hidden[-1], 1], generator=generator)))
    if networks == "conv":
        shape = image_shape_of(x_dim, image_shape, name)
        return (ConvFeatures(shape, channels, "relu", generator, batchnorm, last_activation=False),
                Sequential(ReLU(), Linear(features_size(shape, list(channels)), 1, generator=generator)))
    raise ValueError(f"{name}: networks must be 'mlp' or 'conv', got {networks!r}")


class GAN(Model):
    has_encoder = False

    def __init__(self, x_dim, z_dim=16, hidden=(64, 64), activation="relu", likelihood="bernoulli",
                 disc_hidden=(64, 32), networks="mlp", channels=(32, 64), image_shape=None, batchnorm=False,
                 generator=None):
        super().__init__(generator)
        self.x_dim, self.z_dim = x_dim, z_dim
        if networks == "conv":
            self.decoder = ConvDecoder(z_dim, image_shape_of(x_dim, image_shape, "GAN"), channels, activation,
                                       generator)
        else:
            self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        self.features, self.head = discriminator(x_dim, networks, disc_hidden, channels, image_shape, generator,
                                                 "GAN")
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    pictures = ("samples",)

    def players(self):
        return {"discriminator": self.features.parameters() + self.head.parameters(),
                "generator": self.decoder.parameters()}

    def losses(self, x, y=None, player=None):
        x = self.as_input(x)
        n = x.shape[0]
        fake = self.data_mean(self.decode(self.prior_codes(n)))
        ones, zeros = self.filled((n, 1), 1.0), self.filled((n, 1), 0.0)
        d = lambda v: self.head(self.features(v))
        out = {}
        if player in (None, "discriminator"):
            out["discriminator"] = F.bce_with_logits(d(x), ones) + F.bce_with_logits(d(fake.detach()), zeros)
        if player in (None, "generator"):
            out["generator"] = F.bce_with_logits(d(fake), ones)
        return out

    loss_ranks = False

    def loss(self, x, y=None):
        """The two players' losses and, as the one number a loss must give, their sum, which
        ranks nothing (``loss_ranks``)."""
        terms = self.losses(x, y)
        return terms["discriminator"] + terms["generator"], terms

    def encode(self, x, y=None):
        raise NotImplementedError("GAN: a GAN has no encoder")



class VAEDisl(VAE):
    """The VAE of ``hidden`` (or of convolutions, ``networks="conv"``), its reconstruction
    error in the features D_l of a GAN discriminator of the same shape, trained first for
    ``gan_epochs`` epochs (``minivae.train.fit`` does it, through ``before_fit``) and frozen."""
    loss_name = "KL + D_l feature error"
    first_stage, stage_name = "data", "gan"

    def __init__(self, x_dim, z_dim=16, hidden=(64, 64), activation="relu", likelihood="bernoulli",
                 disc_hidden=(64, 32), networks="mlp", channels=(32, 64), image_shape=None, gan_epochs=5,
                 pixel_weight=0.0, generator=None):
        self.networks_kind, self.channels, self.image_shape = networks, tuple(channels), image_shape
        self.gan_settings = dict(z_dim=z_dim, hidden=hidden, activation=activation, likelihood=likelihood,
                                 disc_hidden=disc_hidden, networks=networks, channels=channels,
                                 image_shape=image_shape)
        super().__init__(x_dim, z_dim, hidden, activation, likelihood, None, 1.0, 1, "analytic", generator=generator)
        if not pixel_weight >= 0:
            raise ValueError(f"VAEDisl: pixel_weight must be a non-negative number, got {pixel_weight!r}")
        self.gan_epochs, self.pixel_weight = gan_epochs, pixel_weight
        self.features, _ = discriminator(x_dim, networks, disc_hidden, channels, image_shape, generator, "VAEDisl")
        for p in self.features.parameters():   # frozen: learned by the GAN, never by the VAE
            p.requires_grad = False

    def networks(self, hidden, activation, generator):
        if self.networks_kind != "conv":
            return super().networks(hidden, activation, generator)
        return conv_vae_networks(self, activation, generator)

    def players(self):
        return {"model": self.encoder.parameters() + self.decoder.parameters()}

    def before_fit(self, x, y, fit):
        """Train a GAN on x with ``fit`` (the trainer's, with its settings) and take its D_l."""
        gan = GAN(self.x_dim, **self.gan_settings, generator=self.generator)
        fit(gan, x, epochs=self.gan_epochs)
        for mine, theirs in zip(self.features.parameters(), gan.features.parameters()):
            mine.data[...] = theirs.data
            mine.bump_version()
        return gan

    def elbo_terms(self, x, y=None, eps=None):
        mu, logvar = self.encode(x, y)
        eps = self.noise(mu.shape) if eps is None else eps
        z, kl = F.reparameterize_kl(mu, logvar, eps.reshape(mu.shape))
        out = self.decode(z, y)
        nll = F.gaussian_nll(self.features(x), self.features(self.data_mean(out)), 0.0, reduction="none").sum(-1)
        if self.pixel_weight:
            nll = nll - self.likelihood.log_prob(x, out) * self.pixel_weight
        return nll, kl
