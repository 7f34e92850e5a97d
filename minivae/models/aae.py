"""The adversarial autoencoder (Makhzani et al. 2016): an autoencoder whose codes are pushed
to follow a chosen prior p(z) by a discriminator D on codes, instead of a KL term.

Players, updated in turn on each batch:
  autoencoder     reconstruct, and fool D:  -log p(x | decode(z)) + lambda (-log D(z)),  z = encode(x)
  discriminator   tell prior from codes:    -log D(z ~ p) - log(1 - D(encode(x)))
The paper's reconstruction and regularization phases are one step for the encoder; why, and
the game's settings (lambda = ``prior_weight``, the critic's steps, an R1 penalty), are
``models/adversary.py``'s.
Label-informed: D also sees the label as a one-hot vector with an extra class for unlabeled
points (y = -1), and labelled prior samples come from their label's mixture component, or
their label's segment of the swiss roll.
Style and content (``label_to_decoder``, Makhzani et al.'s Fig. 7): the decoder gets the label
as a one-hot vector beside the code, so the code, matched to N(0, I), is left to hold what
the label does not say (the style); decoding one code with each label redraws the input in
each class.
"""
import numpy as np

from .. import backend, functional as F
from ..nn import MLP
from . import adversary
from .autoencoder import AutoencoderBase
from .likelihood import Likelihood
from .priors import PRIORS, mixture_of_gaussians, swiss_roll

LABELLED_PRIORS = {"mixture": mixture_of_gaussians, "swiss_roll": swiss_roll}


class AdversarialAutoencoder(adversary.Game, AutoencoderBase):
    labels = "semi-supervised"   # label-informed: a class's codes to its part of the prior
    def __init__(self, x_dim, z_dim=2, hidden=(64, 64), activation="relu", prior="gaussian",
                 likelihood="gaussian", disc_hidden=(64, 64), n_classes=None, label_to_decoder=False,
                 batchnorm=False, prior_weight=adversary.PRIOR_WEIGHT,
                 opening_weight=adversary.OPENING_WEIGHT, opening_epochs=adversary.OPENING_EPOCHS,
                 gradient_penalty=adversary.GRADIENT_PENALTY,
                 critic_steps=adversary.CRITIC_STEPS, adversary_beta1=adversary.BETA1, generator=None):
        super().__init__(generator)
        self.play(prior_weight, opening_weight, opening_epochs, gradient_penalty, critic_steps, adversary_beta1)
        if prior not in PRIORS:
            raise ValueError(f"AdversarialAutoencoder: prior must be one of {sorted(PRIORS)}, got {prior!r}")
        if prior != "gaussian" and z_dim != 2:
            raise ValueError(f"AdversarialAutoencoder: the {prior} prior is 2-D, got z_dim {z_dim}")
        if label_to_decoder and n_classes is None:
            raise ValueError("AdversarialAutoencoder: label_to_decoder needs n_classes")
        self.label_informed = n_classes is not None and not label_to_decoder   # labels go to D
        if self.label_informed and prior not in LABELLED_PRIORS:
            raise ValueError("AdversarialAutoencoder: labels need the mixture or swiss_roll prior (a component "
                             "or a segment per class)")
        if self.label_informed and n_classes > 10:
            raise ValueError(f"AdversarialAutoencoder: the labelled priors have 10 parts, got {n_classes} classes")
        self.x_dim, self.z_dim, self.prior, self.n_classes = x_dim, z_dim, prior, n_classes
        self.label_to_decoder = label_to_decoder
        self.encoder = MLP([x_dim, *hidden, z_dim], activation, batchnorm=batchnorm, generator=generator)
        self.decoder = MLP([z_dim + (n_classes if label_to_decoder else 0), *reversed(hidden), x_dim], activation,
                           batchnorm=batchnorm, generator=generator)
        label_dim = n_classes + 1 if self.label_informed else 0
        self.discriminator = MLP([z_dim + label_dim, *disc_hidden, 1], adversary.ACTIVATION, generator=generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def encode(self, x, y=None):
        return self.encoder(x)

    def decode(self, z, y=None):
        if not self.label_to_decoder:
            return self.decoder(z)
        if y is None:
            raise ValueError("AdversarialAutoencoder: with label_to_decoder, decoding needs the labels y")
        return self.decoder(F.concat([z, self.one_hot(self.class_labels(y, z.shape[0]), self.n_classes)], axis=1))

    def reconstruction_error(self, x, z, y=None):
        return -self.likelihood.log_prob(x, self.decode(z, y))

    def sample_prior(self, n, y=None):
        if self.prior == "gaussian":
            return self.generator.normal((n, self.z_dim))
        if self.prior in LABELLED_PRIORS and y is not None:   # an unknown label (-1): any class's part
            anyone = np.asarray(backend.to_device(self.generator.integers(self.n_classes, n), "cpu"))
            return LABELLED_PRIORS[self.prior](n, generator=self.generator, labels=np.where(np.asarray(y) >= 0, y, anyone))
        return PRIORS[self.prior](n, generator=self.generator)

    def critic(self, z, y=None):
        """D's logit that z came from the prior."""
        if self.label_informed:
            y = np.full(z.shape[0], -1) if y is None else np.asarray(y)
            z = F.concat([z, self.one_hot(y, self.n_classes + 1)], axis=1)   # -1, unknown: the last
        return self.discriminator(z)

    def players(self):
        return {"autoencoder": self.encoder.parameters() + self.decoder.parameters(),
                "discriminator": self.discriminator.parameters()}

    def losses(self, x, y=None, player=None):
        """The players' losses; with ``player`` only that one is computed. Without, also
        the autoencoder's two terms: ``recon`` and ``generator`` (-log D(z))."""
        x = self.as_input(x)
        z = self.encode(x)
        critic = lambda codes: self.critic(codes, y)
        out = {}
        if player in (None, "autoencoder"):
            weights = adversary.halves(y) if self.label_informed and y is not None else None
            recon, fooling = self.reconstruction_error(x, z, y).mean(), adversary.generator_loss(self, critic, z, weights)
            out["autoencoder"] = recon + fooling * self.weight_now
            if player is None:
                out.update(recon=recon, generator=fooling)
        if player in (None, "discriminator"):
            real = self.sample_prior(x.shape[0], y if self.label_informed else None)
            out["discriminator"] = adversary.critic_loss(self, critic, real, z, self.gradient_penalty)
        return out

    def loss(self, x, y=None):
        terms = self.losses(x, y)
        return terms["recon"], {k: terms[k] for k in ("recon", "discriminator", "generator")}

    def sample(self, n, y=None):
        from ..core import no_grad
        if self.label_to_decoder and y is None:   # a class per sample, drawn uniformly
            y = np.asarray(backend.to_device(self.generator.integers(self.n_classes, n), "cpu"))
        elif self.label_to_decoder:
            y = np.broadcast_to(np.asarray(y), (n,))
        with no_grad():
            return self.data_mean(self.decode(self.constant(self.sample_prior(
                n, y if self.label_informed else None)), y)).numpy()
