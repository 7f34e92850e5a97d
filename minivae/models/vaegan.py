"""VAE/GAN (Larsen et al. 2016): a VAE whose decoder doubles as a GAN's generator, with the
reconstruction error measured in the features of a discriminator layer, D_l, instead of
pixel by pixel:

  L_prior   = KL(q(z|x) || p(z))
  L_llike   = -log N(D_l(x); D_l(x~), I),  x~ = decode(z), z ~ q(z|x)
  L_GAN     = log D(x) + log(1 - D(x~)) + log(1 - D(x_p)),  x_p = decode(z_p), z_p ~ p(z)

Players, each updated from its own loss (Algorithm 1):
  encoder        L_prior + L_llike
  decoder        gamma L_llike + (1 - gamma) (-log D(x~) - log D(x_p))   (the non-saturating
                 form of -L_GAN; gamma and 1 - gamma as the authors' code weighs the decoder's
                 two gradients, ``recon_vs_gan_weight`` in andersbll/autoencoding_beyond_pixels)
  discriminator  -(real_weight log D(x) + (1 - real_weight) / 2 (log(1 - D(x~)) + log(1 - D(x_p))))
                 (``real_vs_gen_weight`` there: real images weigh as much as both fakes)

The players are kept in balance as the authors' code keeps them: with c_real and c_fake the
discriminator's costs on this batch, -log D(x) and the mean -log(1 - D(.)) of the fakes,
the discriminator skips its update while it is far ahead (either cost below
equilibrium - margin) and the decoder skips its own while the discriminator is far behind
(either above equilibrium + margin); when both would skip, both update. ``margin=None``
updates every player on every batch.

``feature_sigma`` is sigma in L_llike's N(D_l(x~), sigma^2 I): 1, the paper's identity, or
"learned", each image's maximum-likelihood sigma^2, the mean of its squared feature errors
(Rybkin et al. 2021's optimal sigma), which makes L_llike 0.5 n log(mean squared error) + const
over the n features of D_l. With sigma = 1 and D_l's features small, L_llike moves by a few
nats where the KL costs more, and the encoder falls silent; the learned sigma spreads the
codes wider than the prior.

Three departures from the paper, each off by default:
- ``pixel_weight`` w adds the pixel likelihood to L_llike: L_llike + w (-log p(x|z)), as
  VAE_Disl's (models/gan.py) does;
- ``instance_noise`` sigma: the discriminator judges every image, real or not, as x + sigma e,
  e ~ N(0, I) (Sonderby et al. 2017), so that it cannot tell binarized digits from the
  decoder's grey means by their grey levels alone;
- ``real_target`` labels real images below 1 in the discriminator's loss: one-sided label
  smoothing (Salimans et al. 2016), 0.9 the usual choice.
minivae.image_models trains with all three (docs/quality.md, "VAE/GAN", has the runs).

gamma = 1e-2 is the authors' code's default; their 64 x 64 face runs used 1e-6 to 5e-5, for
a feature error summed over far more features than a 28 x 28 image's discriminator has.

``networks="conv"`` builds the paper's kind of networks for images: convolutional encoder,
decoder (resize-convolutions: no checkerboard for the discriminator to learn) and
discriminator, with D_l the discriminator's last convolution (flattened) and a Linear layer
on it for D (nn/convnet.py); ``batchnorm=True`` adds the paper's batch norm after each
convolution but the discriminator's first and the decoder's last. It is off by default: with
it, on binarized MNIST, the samples were further from the data (docs/quality.md). "mlp" (the default) builds
MLPs of ``hidden`` and ``disc_hidden``.
"""
import contextlib
import math

from .. import functional as F
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
                 batchnorm=False, real_weight=0.5, margin=0.35, equilibrium=0.68, feature_sigma=1.0,
                 pixel_weight=0.0, instance_noise=0.0, real_target=1.0, generator=None):
        super().__init__(generator)
        if not 0.0 <= gamma <= 1.0 or not 0.0 < real_weight < 1.0:
            raise ValueError(f"VAEGAN: gamma must lie in [0, 1] and real_weight in (0, 1), got {gamma} and "
                             f"{real_weight}")
        if margin is not None and not 0.0 < margin < equilibrium:
            raise ValueError(f"VAEGAN: margin must lie between 0 and equilibrium={equilibrium}, got {margin}")
        self.x_dim, self.z_dim, self.gamma, self.real_weight = x_dim, z_dim, gamma, real_weight
        if feature_sigma != "learned" and not (isinstance(feature_sigma, (int, float)) and feature_sigma > 0):
            raise ValueError(f"VAEGAN: feature_sigma must be a positive number or 'learned', got {feature_sigma!r}")
        self.margin, self.equilibrium, self.feature_sigma = margin, equilibrium, feature_sigma
        if not pixel_weight >= 0 or not instance_noise >= 0 or not 0.5 < real_target <= 1.0:
            raise ValueError(f"VAEGAN: pixel_weight and instance_noise must be non-negative and real_target in "
                             f"(0.5, 1], got {pixel_weight!r}, {instance_noise!r} and {real_target!r}")
        self.pixel_weight, self.instance_noise, self.real_target = pixel_weight, instance_noise, real_target
        self.features, self.head = discriminator(x_dim, networks, disc_hidden, channels, image_shape, generator,
                                                 "VAEGAN", batchnorm)                              # D_l, D's logit
        if networks == "mlp":
            self.encoder = MLP([x_dim, *hidden, 2 * z_dim], activation, batchnorm=batchnorm, generator=generator)
            self.decoder = MLP([z_dim, *reversed(hidden), x_dim], activation, batchnorm=batchnorm, generator=generator)
        else:
            shape = image_shape_of(x_dim, image_shape, "VAEGAN")
            self.encoder = ConvEncoder(shape, channels, 2 * z_dim, activation, generator, batchnorm)
            self.decoder = ConvDecoder(z_dim, shape, channels, activation, generator, batchnorm=batchnorm)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    @property
    def skips_updates(self):
        return self.margin is not None

    def encode(self, x, y=None):
        return F.split(self.encoder(x), 2, axis=-1)

    def code(self, x, y=None):
        return self.encode(x)[0]

    def players(self):
        return {"encoder": self.encoder.parameters(), "decoder": self.decoder.parameters(),
                "discriminator": self.features.parameters() + self.head.parameters()}

    def losses(self, x, y=None, player=None):
        """The players' losses; with ``player``, only what that one needs (the discriminator's
        step runs the VAE without a graph), and ``skip``: whether the balance rule skips
        that player's update on this batch. The noise is drawn the same way either way."""
        x = self.as_input(x)
        n = x.shape[0]
        with no_grad() if player == "discriminator" else contextlib.nullcontext():
            mu, logvar = self.encode(x)
            z, kl = F.reparameterize_kl(mu, logvar, self.generator.normal(mu.shape))
            out_tilde = self.decode(z)
            x_tilde = self.data_mean(out_tilde)
            z_p = self.prior_codes(n)
            x_p = None if player == "encoder" else self.data_mean(self.decode(z_p))
        noise = [self.constant(self.generator.normal(x.shape)) * self.instance_noise
                 for _ in range(3)] if self.instance_noise else None
        # D sees every image through instance noise e, where there is some
        d = lambda v, k: self.head(self.features(v + noise[k] if noise else v))
        real_target, ones, zeros = self.filled((n, 1), self.real_target), self.filled((n, 1), 1.0), self.filled((n, 1), 0.0)
        out = {}
        if player != "discriminator":
            f_x = self.features(x)
            llike = self.feature_nll(f_x, self.features(x_tilde))
            if self.pixel_weight or player is None:
                pixels = -self.likelihood.log_prob(x, out_tilde).mean()
                llike = llike + pixels * self.pixel_weight if self.pixel_weight else llike
        if player is None:   # the pixel ELBO's terms, which ``loss`` ranks by
            out["kl"], out["recon"] = kl.mean(), pixels
        if player in (None, "encoder"):
            out["encoder"] = kl.mean() + llike
        if player in (None, "decoder"):
            d_tilde, d_p = d(x_tilde, 1), d(x_p, 2)
            fool = F.bce_with_logits(d_tilde, ones) + F.bce_with_logits(d_p, ones)
            out["decoder"] = llike * self.gamma + fool * (1.0 - self.gamma)
        if player in (None, "discriminator"):
            d_tilde, d_p = d(x_tilde.detach(), 1), d(x_p.detach(), 2)
        if player in (None, "discriminator") or (player == "decoder" and self.margin is not None):
            real = F.bce_with_logits(d(x, 0) if noise or player == "discriminator" else self.head(f_x), real_target)
            fake = (F.bce_with_logits(d_tilde, zeros) + F.bce_with_logits(d_p, zeros)) * 0.5
        if player in (None, "discriminator"):
            out["discriminator"] = real * self.real_weight + fake * (1.0 - self.real_weight)
        if player in ("decoder", "discriminator") and self.margin is not None:
            out["skip"] = self.skips(player, real.item(), fake.item())
        return out

    def skips(self, player, real, fake):
        """The authors' balance rule, from the discriminator's costs on this batch."""
        ahead = min(real, fake) < self.equilibrium - self.margin    # the discriminator wins easily
        behind = max(real, fake) > self.equilibrium + self.margin   # the decoder does
        return ahead and not behind if player == "discriminator" else behind and not ahead

    def feature_nll(self, f_x, f_tilde):
        """L_llike^{Dis_l} = -log N(D_l(x); D_l(x~), sigma^2 I), summed over features, batch
        mean; with a learned sigma, each image's sigma^2 is its mean squared feature error."""
        if self.feature_sigma == "learned":
            logvar = F.log(((f_x - f_tilde) ** 2).mean(-1, keepdims=True) + 1e-8)   # log 0 at a perfect match
        else:
            logvar = 2.0 * math.log(self.feature_sigma)
        return F.gaussian_nll(f_x, f_tilde, logvar, reduction="none").sum(-1).mean()

    def loss(self, x, y=None):
        """-ELBO in pixels, KL(q(z|x) || p(z)) - log p(x|z) with the players' draw z, which ranks
        checkpoints; beside it the players' own losses, which move with the discriminator
        they are measured by."""
        terms = self.losses(x, y)
        return terms["kl"] + terms["recon"], terms
