"""Classifiers p(y|x) = softmax(head(f(x))), trained by the negative log-likelihood of the
labels: a small convolutional one, the feature extractor that discriminative regularization
(dr_vae.py) matches reconstructions in; and an MLP whose f has an autoencoder's encoder
shape, so that it can start from one: the first lecture's unsupervised pre-training, then
supervised fine-tuning (Hinton and Salakhutdinov 2006; Erhan et al. 2010). The autoencoder
learns from every image, labelled or not; ``start_from`` copies its encoder into f, and
training on the few labelled images then adjusts all of it, head and encoder alike."""

from .. import functional as F
from ..core import no_grad
from ..nn import MLP, Linear
from ..nn.convnet import ConvFeatures, feature_sizes, features_size
from .base import Model
from .conv import image_shape_of


class Classifier(Model):
    labels = "required"
    has_encoder = generative = False   # it predicts, neither codes nor samples
    pictures = ()

    def logits(self, x):
        raise NotImplementedError

    def loss(self, x, y=None):
        x = self.as_input(x)
        onehot = self.one_hot(self.class_labels(y, x.shape[0]), self.n_classes)
        nll = -(F.log_softmax(self.logits(x), axis=-1) * onehot).sum(-1).mean()
        return nll, {"nll": nll}

    def predict(self, x):
        with no_grad():
            return self.logits(self.as_input(x)).numpy().argmax(-1)


class ConvClassifier(Classifier):
    def __init__(self, x_dim, n_classes=10, channels=(16, 32), image_shape=None, generator=None):
        super().__init__(generator)
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

    def encode(self, x, y=None):
        return self.features(x)


class MLPClassifier(Classifier):
    def __init__(self, x_dim, n_classes=10, z_dim=32, hidden=(512,), activation="relu", generator=None):
        super().__init__(generator)
        self.x_dim, self.n_classes, self.z_dim = x_dim, n_classes, z_dim
        self.encoder = MLP([x_dim, *hidden, z_dim], activation, generator=generator)   # the autoencoder's shape
        self.head = Linear(z_dim, n_classes, generator=generator)

    def start_from(self, autoencoder):
        """Copy an autoencoder's encoder (an MLP of the same sizes) into f. Returns self."""
        mine, theirs = self.encoder.state_dict(), getattr(autoencoder, "encoder", None)
        theirs = None if theirs is None else theirs.state_dict()
        if theirs is None or {k: v.shape for k, v in mine.items()} != {k: v.shape for k, v in theirs.items()}:
            raise ValueError(f"MLPClassifier.start_from: {type(autoencoder).__name__}'s encoder is not an MLP of "
                             f"sizes {self.x_dim} -> ... -> {self.z_dim} like this classifier's")
        self.encoder.load_state_dict(theirs)
        return self

    def logits(self, x):
        return self.head(self.encoder(x))
