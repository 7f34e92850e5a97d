"""Unsupervised clustering with an adversarial autoencoder (Makhzani et al. 2016, Sec. 6):
the encoder gives a categorical code y (softmax over K clusters) and a style code z; the
decoder reconstructs from both; one adversary pushes y towards one-hot draws of a uniform
categorical, another pushes z towards N(0, I). The cluster of x is argmax y. Batch
normalization in the encoder and decoder is on by default ("crucial", the paper says; here,
without it, MNIST's codes fell into one or two clusters).

The cluster logits start spread out: the output layer's weights for them are ``cluster_gain``
times their Glorot draw, so that from the first step each input leans to one cluster and the
clusters share the data. From near-uniform outputs (gain 1) every input gets the same push
from the categorical adversary, towards the same few vertices, and a cluster no input picks
gets no gradient after that (d y_k / d logit_k = y_k (1 - y_k), about 0). Too large a gain
saturates the softmax from the start (docs/quality.md, "The clustering AAE's cluster gain",
has the runs).

Semi-supervised (Sec. 5): with ``n_classes``, a labelled input's cluster is its class, the
first n_classes clusters standing for the classes; the encoder's loss adds the cross-entropy
-log y_label, weighed by ``label_weight``, averaged over the labelled inputs of a batch
(label -1: unknown). The paper gives it a phase of its own; here it joins the encoder's one
step, as the adversary's term does (models/adversary.py).

Players, in turn on each batch (the game's settings are models/adversary.py's):
  autoencoder     -log p(x | decode(y, z)) + lambda (-log D_cat(y) - log D_gauss(z)) [+ w (-log y_label)]
  discriminators  -log D_cat(one-hot) - log(1 - D_cat(y))  -log D_gauss(N(0, I)) - log(1 - D_gauss(z))
"""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP
from . import adversary
from .autoencoder import AutoencoderBase
from .likelihood import Likelihood

# The cross-entropy's weight beside the reconstruction (nats of an image) in the encoder's step.
LABEL_WEIGHT = 10.0


class ClusteringAAE(adversary.Game, AutoencoderBase):
    labels = "semi-supervised"   # with n_classes: a labelled input's cluster is its class

    def __init__(self, x_dim, n_clusters=10, z_dim=2, hidden=(64, 64), activation="relu", likelihood="gaussian",
                 disc_hidden=(64, 64), batchnorm=True, cluster_gain=7.0, n_classes=None, label_weight=LABEL_WEIGHT,
                 prior_weight=adversary.PRIOR_WEIGHT,
                 opening_weight=adversary.OPENING_WEIGHT, opening_epochs=adversary.OPENING_EPOCHS,
                 gradient_penalty=adversary.GRADIENT_PENALTY, critic_steps=adversary.CRITIC_STEPS,
                 adversary_beta1=adversary.BETA1, generator=None):
        super().__init__(generator)
        self.play(prior_weight, opening_weight, opening_epochs, gradient_penalty, critic_steps, adversary_beta1)
        if n_clusters < 2:
            raise ValueError(f"ClusteringAAE: n_clusters must be at least 2, got {n_clusters}")
        if not cluster_gain > 0:
            raise ValueError(f"ClusteringAAE: cluster_gain must be positive, got {cluster_gain}")
        if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(n_classes, int)
                                      or not 2 <= n_classes <= n_clusters):
            raise ValueError(f"ClusteringAAE: n_classes must be an integer from 2 to n_clusters ({n_clusters}), "
                             f"got {n_classes!r}")
        if not adversary._number(label_weight) or not 0 <= label_weight < float("inf"):
            raise ValueError(f"ClusteringAAE: label_weight must be a non-negative number, got {label_weight!r}")
        self.x_dim, self.z_dim, self.n_clusters = x_dim, z_dim, n_clusters
        self.n_classes, self.label_weight = n_classes, float(label_weight)
        self.encoder = MLP([x_dim, *hidden, n_clusters + z_dim], activation, batchnorm=batchnorm, generator=generator)
        self.encoder[-1].weight.data[:, :n_clusters] *= cluster_gain
        self.decoder = MLP([self.decoder_width(), *reversed(hidden), x_dim], activation, batchnorm=batchnorm,
                           generator=generator)
        self.d_cat = MLP([n_clusters, *disc_hidden, 1], adversary.ACTIVATION, generator=generator)
        self.d_gauss = MLP([z_dim, *disc_hidden, 1], adversary.ACTIVATION, generator=generator)
        self.likelihood = Likelihood(likelihood, x_dim, sigma=1.0)

    def decoder_width(self):
        return self.n_clusters + self.z_dim

    def representation(self, cat, z):
        """What the decoder reads: the cluster probabilities beside the style."""
        return F.concat([cat, z], axis=-1)

    def outputs(self, x):
        """(logits, z): the encoder's cluster logits and its style code."""
        return F.split(self.encoder(x), [self.n_clusters], axis=-1)

    def heads(self, x):
        """(y, z): the cluster probabilities (softmax) and the style code."""
        logits, z = self.outputs(x)
        return F.softmax(logits, axis=-1), z

    def label_loss(self, logits, y):
        """-log y_label averaged over the labelled inputs (y >= 0); None without any."""
        y = np.asarray(backend.to_device(y, "cpu")) if hasattr(y, "dtype") else np.asarray(y)
        if (y.shape != (logits.shape[0],) or y.dtype.kind not in "iu" or y.min(initial=-1) < -1
                or y.max(initial=-1) >= self.n_classes):
            raise ValueError(f"{type(self).__name__}: y must be {logits.shape[0]} integer labels below "
                             f"{self.n_classes}, -1 for unknown")
        labelled = np.flatnonzero(y >= 0)
        if not len(labelled):
            return None
        picks = np.zeros((len(y), self.n_clusters), np.float32)
        picks[labelled, y[labelled]] = 1.0 / len(labelled)
        return -(F.log_softmax(logits, axis=-1) * self.constant(picks)).sum()

    def encode(self, x, y=None):
        return F.concat(list(self.heads(x)), axis=-1)

    # Its decoder takes the cluster with the style: no 2-D grid or sweep of the style alone.
    pictures = ("latent", "samples", "reconstructions")

    def code(self, x, y=None):
        """The style z, the part matched to N(0, I) (the cluster is ``cluster``)."""
        return self.heads(x)[1]

    def reconstruct(self, x, y=None):
        """x decoded from its whole code: the cluster probabilities and the style."""
        with no_grad():
            return self.data_mean(self.decode(self.representation(*self.heads(self.as_input(x))))).numpy()

    def players(self):
        return {"autoencoder": self.encoder.parameters() + self.decoder.parameters(),
                "discriminator": self.d_cat.parameters() + self.d_gauss.parameters()}

    def losses(self, x, y=None, player=None):
        x = self.as_input(x)
        n = x.shape[0]
        logits, z = self.outputs(x)
        cat = F.softmax(logits, axis=-1)
        out = {}
        if player in (None, "autoencoder"):
            recon = -self.likelihood.log_prob(x, self.decode(self.representation(cat, z))).mean()
            fooling = adversary.generator_loss(self, self.d_cat, cat) + adversary.generator_loss(self, self.d_gauss, z)
            out["autoencoder"] = recon + fooling * self.weight_now
            labelled = self.label_loss(logits, y) if self.n_classes and y is not None else None
            if labelled is not None:
                out["autoencoder"] = out["autoencoder"] + labelled * self.label_weight
            if player is None:
                out.update(recon=recon, generator=fooling, **({} if labelled is None else {"labels": labelled}))
        if player in (None, "discriminator"):
            onehot = self.one_hot(self.generator.integers(self.n_clusters, n), self.n_clusters).data
            out["discriminator"] = (adversary.critic_loss(self, self.d_cat, onehot, cat, self.gradient_penalty)
                                    + adversary.critic_loss(self, self.d_gauss, self.generator.normal((n, self.z_dim)),
                                                            z, self.gradient_penalty))
        return out

    def loss(self, x, y=None):
        terms = self.losses(x, y)
        return terms["recon"], terms

    def cluster(self, x):
        """argmax y: each input's cluster."""
        with no_grad():
            return self.heads(self.as_input(x))[0].numpy().argmax(-1)

    def sample(self, n, y=None):
        k = np.asarray(backend.to_device(self.generator.integers(self.n_clusters, n), "cpu")) if y is None \
            else np.broadcast_to(np.asarray(y), (n,))
        onehot = self.one_hot(k, self.n_clusters)
        with no_grad():
            z = self.prior_codes(n)
            return self.data_mean(self.decode(self.representation(onehot, z))).numpy()


def clustering_accuracy(clusters, labels):
    """The fraction of inputs whose cluster, matched one-to-one to a class by the Hungarian
    algorithm (the matching that maximizes agreement), is their class."""
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    k = max(clusters.max(), labels.max()) + 1
    counts = np.zeros((k, k), np.int64)
    np.add.at(counts, (clusters, labels), 1)
    from scipy.optimize import linear_sum_assignment   # imported when used: scipy.* costs the command line's start-up
    rows, cols = linear_sum_assignment(-counts)
    return counts[rows, cols].sum() / len(labels)


def majority_accuracy(clusters, labels):
    """The fraction of inputs whose cluster's most common class is their class: each
    cluster named by its majority, several clusters may share a class (Makhzani et al.'s
    measure with more clusters than classes, Sec. 6)."""
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    counts = np.zeros((clusters.max() + 1, labels.max() + 1), np.int64)
    np.add.at(counts, (clusters, labels), 1)
    return counts.max(1).sum() / len(labels)
