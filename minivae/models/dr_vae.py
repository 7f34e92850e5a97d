"""Discriminative regularization (Lamb et al. 2016): a VAE whose reconstruction is also
matched to its input in the hidden layers of a classifier trained beforehand and frozen,

    L = -E_q log p(x|z) + KL(q(z|x) || p(z)) + lam * sum_l gamma_l 0.5 ||C_l(x) - C_l(x~)||^2,

x~ the decoder's mean, so that the reconstruction keeps what the classifier needs to tell
the classes apart (sharper strokes, the right digit) where a pixel error would blur.

Lamb et al. weigh each layer's term by its own coefficient gamma_l. By default
(``layer_weights="image"``) gamma_l = D / d_l, D the image's and d_l the layer's number of
values: each layer's error then counts as much as an error over the image's pixels does,
whatever its width, so that a narrow deep layer (the one that knows the class) is not
outweighed by a wide early one. ``layer_weights`` may also list the gamma_l, or be
"sum" (every gamma_l = 1).
"""
import os

from .. import functional as F
from .classifier import ConvClassifier
from .conv import conv_vae_networks
from .vae import VAE


class DRVAE(VAE):
    """``networks="conv"`` (default) or "mlp" for the VAE; the classifier is a ConvClassifier
    with ``classifier_channels``, trained for ``classifier_epochs`` on labelled data by
    ``fit`` (``before_fit``), or loaded from ``classifier_file`` (an .npz of its weights)."""
    labels = "optional"   # they train its classifier first (before_fit); without them, give classifier_file
    first_stage, stage_name = "labels", "classifier"
    loss_name = "-ELBO + lam * feature error"

    def __init__(self, x_dim, z_dim=16, hidden=(256,), activation="relu", likelihood="bernoulli", lam=1.0,
                 n_classes=10, networks="conv", channels=(32, 64), classifier_channels=(16, 32), image_shape=None,
                 classifier_file=None, classifier_epochs=3, layer_weights="image", generator=None):
        self.networks_kind, self.channels, self.image_shape = networks, tuple(channels), image_shape
        super().__init__(x_dim, z_dim, hidden, activation, likelihood, None, 1.0, 1, "analytic", generator=generator)
        self.lam, self.classifier_file, self.classifier_epochs = lam, classifier_file, classifier_epochs
        self.classifier = ConvClassifier(x_dim, n_classes, classifier_channels, image_shape, generator)
        self.layer_weights = self._gammas(layer_weights)
        self._freeze()

    def _gammas(self, layer_weights):
        widths = self.classifier.layer_widths()
        if layer_weights == "image":
            return [self.x_dim / d for d in widths]
        if layer_weights == "sum":
            return [1.0] * len(widths)
        if isinstance(layer_weights, str) or len(layer_weights) != len(widths) or min(layer_weights) < 0:
            raise ValueError(f"DRVAE: layer_weights must be 'image', 'sum' or {len(widths)} non-negative numbers "
                             f"(one per classifier layer), got {layer_weights!r}")
        return [float(g) for g in layer_weights]

    @property
    def stage_classes(self):
        return self.classifier.n_classes

    def networks(self, hidden, activation, generator):
        if self.networks_kind == "mlp":
            return super().networks(hidden, activation, generator)
        if self.networks_kind != "conv":
            raise ValueError(f"DRVAE: networks must be 'mlp' or 'conv', got {self.networks_kind!r}")
        return conv_vae_networks(self, activation, generator)

    def _freeze(self):
        for p in self.classifier.parameters():
            p.requires_grad = False

    def players(self):
        return {"model": self.encoder.parameters() + self.decoder.parameters()}

    def before_fit(self, x, y, fit):
        """Load the classifier from ``classifier_file`` when that file exists; else train it on
        (x, y) with ``fit`` and, when ``classifier_file`` names a file, save it there for reuse."""
        if self.classifier_file and os.path.exists(self.classifier_file):
            self.classifier.load(self.classifier_file)
        else:
            if y is None:
                raise ValueError("DRVAE: its classifier trains on labels, and these data have none; train on "
                                 "labelled data or give classifier_file= the .npz of a trained one")
            for p in self.classifier.parameters():
                p.requires_grad = True
            fit(self.classifier, x, epochs=self.classifier_epochs, labels=y)
            if self.classifier_file:
                self.classifier.save(self.classifier_file)
        self._freeze()
        for p in self.classifier.parameters():
            p.bump_version()
        return self.classifier

    def loss(self, x, y=None):
        x = self.as_input(x)
        mu, logvar = self.encode(x)
        z, kl = F.reparameterize_kl(mu, logvar, self.noise(mu.shape))
        out = self.decode(z)
        recon, kl = -self.likelihood.log_prob(x, out).mean(), kl.mean()
        x_tilde = self.data_mean(out)
        features = sum(((a - b) * (a - b) * (0.5 * g)).sum(-1) for a, b, g in
                       zip(self.classifier.layers(x), self.classifier.layers(x_tilde), self.layer_weights)).mean()
        return recon + kl + self.lam * features, {"recon": recon, "kl": kl, "features": features,
                                                  "elbo": -(recon + kl)}
