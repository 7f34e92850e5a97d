"""What every model of the family shares.

    loss(x, y=None)   -> (total, {name: term})   the objective to minimize, and its parts
    encode(x, y=None)  the code (or the posterior's parameters)
    decode(z, y=None)  the decoder's output (a mean, or logits for binary data)
    reconstruct(x, y=None), sample(n, y=None)   arrays of data, without a graph
Losses are per-example sums over data dimensions, averaged over the batch (nats for the
likelihood-based models).

Models trained by several players (adversarial ones) name them: ``players()`` maps each to
its parameters and ``losses(x, y)`` to its loss (``player=`` asks for one, which lets a model
skip the others' work). A model with one objective has one player.
"""
import numpy as np

from .. import backend
from ..core import Node, no_grad
from ..nn import Module
from ..ops import Tensor


class Model(Module):
    x_dim = None
    has_encoder = True   # a GAN has none: nothing to encode, reconstruct or score
    generative = True    # it samples; a classifier does not
    # The pictures a run draws of it (the command line's train): codes, samples, inputs and
    # their reconstructions, the decoder over a 2-D code grid, each unit swept, importance
    # weights (the curves are always drawn).
    pictures = ("latent", "samples", "reconstructions", "manifold", "traversal", "weights")
    # What the model does with class labels y (0, 1, ..., n_classes - 1; its constructor then
    # takes n_classes): None, it takes none; "required", one per example (a conditional VAE);
    # "optional", it uses them where the data have them (DR-VAE's classifier); "semi-supervised",
    # it learns from those it is given, -1 marking an unknown one, and a run gives them only
    # when asked (--labels-fraction), since they change what the model learns.
    labels = None
    # A stage trained before the model (its ``before_fit``, which the trainer calls):
    # None, none; "data", it learns from the run's data (VAE_Disl's GAN); "labels", from
    # labelled data (DR-VAE's classifier), the run's, else a labelled stand-in of the same
    # size (minivae.run.first_stage) telling apart ``stage_classes`` classes. The model's
    # argument ``<stage_name>_file`` names the .npz where the stage is saved and found again.
    first_stage = None
    stage_name = None
    stage_classes = None
    # Whether ``losses(x, y, player)`` may say ``skip``: True, that player's update is left
    # out on this batch (VAE/GAN's balance rule). Deciding reads losses on the host, which a
    # step recorded as a CUDA graph cannot, so such a model is trained without graphs.
    skips_updates = False
    # What an adversarial game needs of the trainer: how many times a player steps on each
    # batch (a critic, several), and Adam settings of a player's own (a GAN's halved
    # momentum), which settings given to fit override.
    player_steps = {}
    player_adam = {}
    # Whether ``loss`` ranks one state of the model against another, so that fit may keep the
    # best (best.npz) and stop early by it. A GAN's players' losses measure each against the
    # other as it is now: no sum of them says which epoch's model is better.
    loss_ranks = True
    # The number of training examples N (AEVB's N, the slides' n), which fit sets before
    # training; a loss that weighs its terms by it reads it here.
    dataset_size = None

    def __init__(self, generator=None):
        """``generator``: where the model's noise comes from (posterior samples, prior codes,
        masks, corruption); the default generator of the device when None."""
        super().__init__()
        self.generator = generator or backend.default_generator()

    def begin_epoch(self, epoch):
        """Called by fit before each epoch (counted from 1): a model whose loss changes over
        training (the adversarial autoencoders' opening, models/adversary.py) sets itself."""

    def loss(self, x, y=None):
        raise NotImplementedError

    def players(self):
        return {"model": self.parameters()}

    def losses(self, x, y=None, player=None):
        """Each player's loss by name, or with ``player`` that one's (and ``skip``, see
        ``skips_updates``)."""
        return {"model": self.loss(x, y)[0]}

    def encode(self, x, y=None):
        raise NotImplementedError

    def decode(self, z, y=None):
        """The decoder's output for codes z: logits for binary data, else a mean."""
        return self.decoder(z)

    def code(self, x, y=None):
        """The point in code space that ``reconstruct`` decodes (the posterior mean for VAEs)."""
        return self.encode(x, y)

    def reconstruct(self, x, y=None):
        with no_grad():
            x = self.as_input(x)
            return self.data_mean(self.decode(self.code(x, y), y)).numpy()

    def data_mean(self, out):
        """The decoder's output as data: the mean of the model's likelihood p(x|z) (a
        probability for Bernoulli logits), or the output itself for a model without one."""
        likelihood = getattr(self, "likelihood", None)
        return out if likelihood is None else likelihood.mean(out)

    def prior_codes(self, n):
        """n codes z ~ N(0, I), drawn by the model's generator."""
        return self.constant(self.generator.normal((n, self.z_dim)))

    def sample(self, n, y=None):
        """n draws of the decoder's mean at codes from the prior."""
        with no_grad():
            return self.data_mean(self.decode(self.prior_codes(n), y)).numpy()

    def constant(self, array):
        """An array (NumPy, CuPy or a list) as a constant tensor on the model's device:
        labels, masks and noise are made on the host and move here."""
        array = array if hasattr(array, "dtype") else np.asarray(array)
        return Tensor(backend.to_device(array, self.device))

    def filled(self, shape, value):
        """A constant tensor of ``value`` made on the model's device (a GAN's targets), with
        no copy from the host, which a step recorded as a CUDA graph cannot make."""
        return Tensor(backend.array_module(self.device).full(shape, value, backend.DEFAULT_DTYPE))

    def class_labels(self, y, n):
        """``y`` (host or device) as n integer labels in [0, n_classes) on the host, or a
        ValueError that names the model and what is wrong."""
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name}: needs labels y")
        y = np.asarray(backend.to_device(y, "cpu") if hasattr(y, "dtype") else y)
        if y.shape != (n,):
            raise ValueError(f"{name}: y must hold {n} labels, one per example, got shape {y.shape}")
        if y.dtype.kind not in "iu" or (n and (y.min() < 0 or y.max() >= self.n_classes)):
            raise ValueError(f"{name}: y must be integer labels in [0, {self.n_classes}), got {y.dtype}"
                             + (f" values from {y.min()} to {y.max()}" if n and y.dtype.kind in "iuf" else ""))
        return y

    def one_hot(self, k, classes):
        """One-hot rows (k's shape, then ``classes``) for integer codes ``k`` (host or device),
        on the model's device; no identity matrix of classes x classes is made."""
        xp = backend.array_module(self.device)
        k = backend.to_device(k if hasattr(k, "dtype") else np.asarray(k), self.device)
        out = xp.zeros((k.size, classes), dtype=backend.DEFAULT_DTYPE)
        out[xp.arange(k.size), k.reshape(-1)] = 1
        return Tensor(out.reshape(tuple(k.shape) + (classes,)))

    def to(self, device):
        """Move the model; noise drawn with the default generator is then drawn on the new
        device (by its default generator), not on the host and copied. A generator the
        model was given stays."""
        super().to(device)
        noise = getattr(self, "generator", None)
        if noise is not None and noise is backend.default_generator(noise.device) and noise.device != device:
            self.generator = backend.default_generator(device)
        return self

    def as_input(self, x, dim=None, name="x"):
        """A float tensor of shape (n, dim) on the model's device, or a ValueError that names
        the problem. Data may be NumPy or CuPy; tensors are moved, not checked."""
        dim = self.x_dim if dim is None else dim
        if not isinstance(x, Node):   # user data: checked here
            x = x if hasattr(x, "dtype") else np.asarray(x)
            if x.dtype.kind not in "biuf":
                raise TypeError(f"{type(self).__name__}: {name} must be numeric, got dtype {x.dtype}")
            if not bool(backend.array_module(backend.device_of(x)).isfinite(x).all()):
                raise ValueError(f"{type(self).__name__}: {name} holds NaN or infinite values")
            x = self.constant(x.astype(backend.DEFAULT_DTYPE, copy=False))
        elif x.device != self.device:
            x = x.to(self.device)
        if x.ndim != 2 or x.shape[1] != dim:
            raise ValueError(f"{type(self).__name__}: expected {name} of shape (n, {dim}), got {x.shape}")
        return x
