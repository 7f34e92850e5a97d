"""A small convolutional classifier, p(y|x) = softmax(head(C(x))): the feature extractor
that discriminative regularization (dr_vae.py) matches reconstructions in."""
import numpy as np

from .. import functional as F
from ..core import no_grad
from ..nn import Linear
from ..nn.convnet import ConvFeatures, feature_sizes, features_size
from .base import Model
from .conv import image_shape_of


class ConvClassifier(Model):
    labels = "required"
    has_encoder = generative = False   # DR-VAE's first stage: it predicts, neither codes nor samples
    pictures = ()

    def __init__(self, x_dim, n_classes=10, channels=(16, 32), image_shape=None, generator=None):
        super().__init__()
        self.x_dim, self.n_classes = x_dim, n_classes
        shape = self.image_shape = image_shape_of(x_dim, image_shape, "ConvClassifier")
        self.channels = tuple(channels)
        self.features = ConvFeatures(shape, channels, "relu", generator)
        self.head = Linear(features_size(shape, list(channels)), n_classes, generator=generator)

    def layers(self, x):
        """The activations after each convolution, flattened: C_1(x), ..., C_L(x)."""
        h, out = self.features[0](x), []          # Unflatten
        for layer in list(self.features)[1:-1]:   # the convolutions (their ReLU fused)
            h = layer(h)
            out.append(h.reshape(h.shape[0], -1))
        return out

    def layer_widths(self):
        """The number of values in each of ``layers``: channels times height times width."""
        return [c * h * w for c, (h, w) in zip(self.channels, feature_sizes(self.image_shape, len(self.channels))[1:])]

    def logits(self, x):
        return self.head(self.features(x))

    def loss(self, x, y=None):
        if y is None:
            raise ValueError("ConvClassifier: training needs labels y")
        x = self.as_input(x)
        y = np.asarray(y)
        if y.shape != (x.shape[0],) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"ConvClassifier: y must be {x.shape[0]} integer labels in [0, {self.n_classes})")
        onehot = self.constant(np.eye(self.n_classes, dtype=np.float32)[y])
        nll = -(F.log_softmax(self.logits(x), axis=-1) * onehot).sum(-1).mean()
        return nll, {"nll": nll}

    def predict(self, x):
        with no_grad():
            return self.logits(self.as_input(x)).numpy().argmax(-1)

    def encode(self, x, y=None):
        return self.features(x)
