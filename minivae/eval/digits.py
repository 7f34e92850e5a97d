"""A digit judge: a small convolutional classifier trained on labelled MNIST digits that the
judged model never saw, asked of each generated or reconstructed image whether it is a
digit it is sure of (the largest p(y|x) at least ``threshold``) and, where the image should
show a given digit, whether it is that one.

Nearest neighbours in pixels are generous to blends (a smudge between two 4s is nearest a
4), and a plain ten-way classifier is sure of the mean digit, a blob. This one has an
eleventh class, "no digit", learnt from as many images that are not one: two digits of
different classes overlaid, a digit's pixels shuffled, the mean image, noise and constants
(Hendrycks et al. 2019 expose a classifier to outliers to the same end). It learns from the
grey digits and the same digits cut at 0.5, so that the binary images of binarized MNIST and
a Bernoulli decoder's grey means are both in its world."""
import hashlib
import os
import zipfile

import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..data.files import read_arrays
from ..models.classifier import ConvClassifier
from ..train import fit

THRESHOLD = 0.9
NO_DIGIT = 10   # the eleventh class


class DigitJudge:
    """Trained on ``images`` (n, 784) in [0, 1] with their ``labels``, seeded by ``seed``
    alone (the judge of a figure does not change with the figure's seed); by default for as
    many steps as 3 epochs of 8,000 images take, whatever their number. ``cache``: a folder
    where the trained weights are kept, named by a fingerprint of the data and the settings,
    and read back instead of training when they are there and load cleanly."""

    def __init__(self, images, labels, seed=0, epochs=None, threshold=THRESHOLD, cache=None):
        images, labels = np.asarray(images, np.float32), np.asarray(labels, np.int64)
        if images.ndim != 2 or images.shape[1] != 784 or labels.shape != (len(images),):
            raise ValueError(f"DigitJudge: give (n, 784) images and n labels, got {images.shape} and {labels.shape}")
        self.threshold = threshold
        epochs = epochs or max(1, round(3 * 8000 / max(len(images), 1)))
        path = cache and os.path.join(cache, f"digit-judge-{fingerprint(images, labels, seed, epochs)}.npz")
        self.classifier = _fresh(seed)
        if path and os.path.isfile(path):
            try:   # an untrusted file: headers, sizes, shapes and values checked before use
                self.classifier.load_state_dict(read_arrays(path))
                self.classifier.eval()
                return
            except (ValueError, TypeError, KeyError, OSError, EOFError, zipfile.BadZipFile):
                self.classifier = _fresh(seed)   # a damaged or foreign file: trained anew, and replaced
        rng = np.random.default_rng(seed)
        digits = np.concatenate([images, (images > 0.5).astype(np.float32), blurred(images, rng)])
        x = np.concatenate([digits, not_digits(images, labels, len(images), rng)])
        y = np.concatenate([labels, labels, labels, np.full(len(images), NO_DIGIT)])
        fit(self.classifier, x, y, epochs=epochs, batch_size=100, lr=1e-3, seed=seed, progress=False,
            log=lambda record: None)
        self.classifier.eval()
        if path:
            os.makedirs(cache, exist_ok=True)
            self.classifier.save(path)

    def probabilities(self, images):
        """p(y|x) for each image over the ten digits and "no digit": (n, 11)."""
        return self._batched(lambda x: F.softmax(self.classifier.logits(x), axis=-1), images, NO_DIGIT + 1)

    def features(self, images):
        """Its features before the linear head: (n, channels * height * width)."""
        return self._batched(self.classifier.features, images, self.classifier.head.in_features)

    def _batched(self, fn, images, width, size=500):
        images = np.asarray(images, np.float32).reshape(len(images), 784)
        with no_grad():
            return np.concatenate([fn(self.classifier.as_input(images[i:i + size])).numpy()
                                   for i in range(0, len(images), size)] or [np.zeros((0, width), np.float32)])

    def digits(self, images):
        """The digit each image shows, -1 where the judge is not sure it shows one."""
        p = self.probabilities(images)
        named = p.argmax(1)
        return np.where((named != NO_DIGIT) & (p.max(1) >= self.threshold), named, -1)

    def confident(self, images):
        """The share of images it is sure show a digit."""
        return float((self.digits(images) >= 0).mean())

    def kept(self, images, labels):
        """The share of images it is sure show the digit ``labels`` says they should."""
        return float((self.digits(images) == np.asarray(labels)).mean())

    def named(self, images, labels):
        """The share of images whose likeliest class (of the ten digits and "no digit") is
        the digit ``labels`` says, sure or not: a class kept, whatever the blur."""
        return float((self.probabilities(images).argmax(1) == np.asarray(labels)).mean())

    def label_nll(self, images, labels):
        """The mean of -log p(label | image) in nats: how much of its label the judge still
        reads in each image (0: certain of it)."""
        p = self.probabilities(images)[np.arange(len(images)), np.asarray(labels)]
        return float(-np.log(np.maximum(p, np.finfo(p.dtype).tiny)).mean())


def _fresh(seed):
    backend.manual_seed(seed)
    return ConvClassifier(784, NO_DIGIT + 1, channels=(16, 32))


def fingerprint(images, labels, seed, epochs):
    """A name for a judge trained on these images and labels with these settings."""
    h = hashlib.sha256(f"digit-judge v1 seed {seed} epochs {epochs}".encode())
    for a in (images, labels):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:20]


def blurred(images, rng, widths=(0.5, 1.5)):
    """Each image blurred by a Gaussian of a width drawn from ``widths`` (pixels): a VAE's
    means are blurred digits, and still digits."""
    from scipy.ndimage import gaussian_filter
    width = rng.uniform(*widths, len(images))
    return np.stack([gaussian_filter(im.reshape(28, 28), w).ravel() for im, w in zip(images, width)])


def not_digits(images, labels, n, rng):
    """``n`` images that show no digit, made from ``images``: overlays of two digits of
    different classes (grey and cut at 0.5), digits with their pixels shuffled, the mean
    image, uniform and sparse binary noise, and constants, in equal parts."""
    per = -(-n // 6)
    a, b = rng.integers(0, len(images), (2, 4 * per))
    a, b = a[labels[a] != labels[b]][:per], b[labels[a] != labels[b]][:per]
    overlay = np.maximum(images[a], images[b])
    overlay[::2] = overlay[::2] > 0.5
    shuffled = images[rng.integers(0, len(images), per)]
    shuffled = np.take_along_axis(shuffled, rng.random(shuffled.shape).argsort(1), 1)
    mean = np.clip(images.mean(0) * rng.uniform(0.7, 1.4, (per, 1)), 0, 1)
    uniform = rng.random((per, 784)) * rng.uniform(0.2, 1, (per, 1))
    sparse = rng.random((per, 784)) < rng.uniform(0.05, 0.3, (per, 1))
    constant = np.repeat(rng.random((per, 1)), 784, 1)
    return np.concatenate([overlay, shuffled, mean, uniform, sparse, constant]).astype(np.float32)[:n]
