"""minivae as a lightweight dependency: estimators that follow scikit-learn's conventions
(get_params / set_params, fitted attributes ending in ``_``, ``random_state``), without
depending on it, for every registered model.

    model = minivae.VAE(latent_dim=2).fit(X)
    codes = model.transform(X)              # posterior means
    again = model.inverse_transform(codes)  # decoded
    new = model.sample(100)
    nats = model.score(X)                   # mean L_k per example: higher is better
    model.save("vae.npz"); same = minivae.load("vae.npz")

and with scikit-learn, in a pipeline and a grid search:

    make_pipeline(MinMaxScaler(), minivae.VAE(epochs=5)).fit_transform(X)
    GridSearchCV(minivae.VAE(), {"latent_dim": [2, 4]}).fit(X).best_params_   # chosen by score
"""
import inspect

import numpy as np

from . import backend, config, eval as evaluate, run
from .core import no_grad
from .models import MODELS
from .train import load_model, save_checkpoint
from .train.settings import format_record


class Estimator:
    """Any registered model by name (``minivae models`` lists them).

    model         the registered name ("vae", "aae", "cvae", "iwae", ...)
    latent_dim    the code's size; for iwae one per stochastic layer, e.g. [100, 50]
    hidden        the hidden layers' sizes (None: 400 for data of over 100 features, else 64, 64)
    likelihood    "auto" (Bernoulli when every value is 0 or 1, else Gaussian), "bernoulli"
                  or "gaussian", for the models that have one
    options       any other argument of the model's constructor, as a dict ({"beta": 4})
    epochs, batch_size, lr, optimizer ("adam", "sgd", "adagrad")
    random_state  seeds the initialization, the shuffling and the noise: an int, None (fresh
                  entropy at each fit), or a NumPy RandomState / Generator to draw a seed from
    device        "cpu", or "cuda" (CuPy and a GPU); data stay NumPy either way
    verbose       a line per epoch, and a progress bar on a terminal

    ``fit(X, y=None)``: y are class labels for the models that take them (``cvae`` needs them;
    ``aae`` uses them where given, -1 marking an unknown one; ``dr-vae`` trains its classifier
    on them first); the others ignore y, as scikit-learn's unsupervised estimators do.
    Fitted: ``model_`` (the minivae model), ``history_`` (a dict per epoch), ``n_features_in_``,
    ``likelihood_``, and ``classes_`` for the models that took labels.
    """
    _model_args = ()   # a subclass's own constructor arguments that are the model's (beta, k)

    def __init__(self, model="vae", latent_dim=2, hidden=None, likelihood="auto", options=None, epochs=20,
                 batch_size=100, lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())

    # --- scikit-learn's parameter protocol ----------------------------------------------
    @classmethod
    def _param_names(cls):
        return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

    def get_params(self, deep=True):
        """The constructor's arguments, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        known = self._param_names()
        for name, value in params.items():
            if name not in known:
                raise ValueError(f"{type(self).__name__}: no parameter {name!r}; its parameters are {', '.join(known)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        signature = list(inspect.signature(type(self).__init__).parameters.values())[1:]
        changed = {p.name: getattr(self, p.name) for p in signature if not _same(getattr(self, p.name), p.default)}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def __sklearn_tags__(self):
        """Called by scikit-learn alone, so it is imported only then."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags
        return Tags(estimator_type=None, target_tags=TargetTags(required=self._model_class().labels == "required"),
                    transformer_tags=TransformerTags(preserves_dtype=["float32"]), input_tags=InputTags(),
                    non_deterministic=self.device == "cuda")

    # --- fitting --------------------------------------------------------------------------
    def _model_class(self):
        if self.model not in MODELS:
            raise ValueError(f"{type(self).__name__}: unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        return MODELS[self.model]

    def _check(self, X, name="X"):
        if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(f"{type(self).__name__}: {name} is a sparse matrix, which minivae does not take; "
                            "pass a dense array (X.toarray())")
        who = type(self).__name__
        X = backend.to_device(X, "cpu") if hasattr(X, "dtype") else X   # CuPy data too
        X = np.asarray(X)
        if X.dtype.kind == "O":   # numbers held as Python objects
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{who}: {name} holds values that are not numbers ({e})") from None
        if X.dtype.kind == "c":
            raise ValueError(f"{who}: Complex data not supported in {name}")
        if X.ndim == 1:
            raise ValueError(f"{who}: {name} must be 2-D (examples x features), got shape {X.shape}. Reshape your "
                             "data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a single example")
        if X.ndim != 2 or X.dtype.kind not in "biuf":
            raise ValueError(f"{who}: {name} must be a 2-D numeric array, got shape {X.shape} and dtype {X.dtype}")
        for axis, what in ((0, "sample"), (1, "feature")):
            if X.shape[axis] == 0:
                raise ValueError(f"{who}: {name} has 0 {what}(s) (shape={X.shape}) while a minimum of 1 is required.")
        if not np.isfinite(X).all():
            raise ValueError(f"{type(self).__name__}: {name} holds NaN or infinite values")
        fitted = getattr(self, "n_features_in_", None)
        if fitted is not None and X.shape[1] != fitted:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting {fitted} "
                             "features as input.")
        return X.astype(np.float32)

    def _labels(self, y, n):
        """y as the model will see it: None for a model without labels, else checked integers."""
        cls = self._model_class()
        if cls.labels is None or y is None:
            if cls.labels == "required":
                raise ValueError(f"{type(self).__name__}: a {self.model} needs class labels y in fit")
            return None
        y = np.asarray(backend.to_device(y, "cpu") if hasattr(y, "dtype") else y)
        semi = cls.labels == "semi-supervised"
        if y.shape != (n,) or y.dtype.kind not in "iu" or (n and (y.min() < -semi or y.max() < 0)):
            unknown = " (-1: unknown)" if semi else ""
            raise ValueError(f"{type(self).__name__}: y must be {n} integer class labels 0, 1, ...{unknown}, "
                             f"got shape {y.shape} and dtype {y.dtype}")
        return y

    def _seed(self):
        r = self.random_state
        if r is None:
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(r, np.random.RandomState):
            return int(r.randint(2 ** 31 - 1))
        if isinstance(r, np.random.Generator):
            return int(r.integers(2 ** 31 - 1))
        if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, np.integer)) or r < 0:
            raise ValueError(f"{type(self).__name__}: random_state must be a non-negative int, None, or a NumPy "
                             f"RandomState or Generator; got {r!r}")
        return int(r)

    def _settings(self, seed):
        """The command line's settings (minivae.config) for these parameters."""
        options = dict(self.options or {})
        options.update({k: getattr(self, k) for k in self._model_args})
        given = {k: options.pop(k) for k in config.MODEL_SETTINGS if k in options}
        latent = list(self.latent_dim) if isinstance(self.latent_dim, (list, tuple)) else [self.latent_dim]
        if self.likelihood not in ("auto", "bernoulli", "gaussian"):
            raise ValueError(f"{type(self).__name__}: likelihood must be 'auto', 'bernoulli' or 'gaussian', "
                             f"got {self.likelihood!r}")
        hidden = None if self.hidden is None else [list(h) if isinstance(h, (list, tuple)) else h for h in self.hidden]
        try:
            return config.resolve({"model": self.model, "data": "X", "latent_dim": latent, "hidden": hidden,
                                   "likelihood": None if self.likelihood == "auto" else self.likelihood,
                                   "options": options, "epochs": self.epochs, "batch_size": self.batch_size,
                                   "lr": self.lr, "optimizer": self.optimizer, "seed": seed, **given})
        except ValueError as e:
            raise ValueError(f"{type(self).__name__}: {e}") from None

    def fit(self, X, y=None, validation=None):
        """Train a fresh model on X (and y, for the models that take labels); returns self.
        The command line's run (minivae.run), on these arrays."""
        for fitted in ("model_", "history_", "n_features_in_", "likelihood_", "classes_"):   # fit starts afresh
            self.__dict__.pop(fitted, None)
        X = self._check(X)
        labels = self._labels(y, len(X))
        s = self._settings(self._seed())
        if labels is not None and self._model_class().labels == "semi-supervised":
            s["labels_fraction"] = 1.0   # label-informed, as the command line's --labels-fraction; -1 unknown
        valid = None if validation is None else self._check(validation, "validation")
        data = run.arrays(X, labels, valid)
        try:
            model, _ = run.build(s, data, self.device)
        except ValueError as e:   # named once: the model's own errors may start with the same name
            who = type(self).__name__
            raise ValueError(str(e) if str(e).startswith(f"{who}:") else f"{who}: {e}") from None
        log = (lambda r: print(format_record(r), flush=True)) if self.verbose else (lambda r: None)
        self.history_ = run.train(model, data, run.labels(model, s, data), s, progress=bool(self.verbose), log=log)
        self.model_, self.n_features_in_ = model, X.shape[1]
        self.likelihood_ = model.spec["kwargs"].get("likelihood")
        if labels is not None:
            self.classes_ = np.unique(labels[labels >= 0])
        return self

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)

    # --- using a fitted model -----------------------------------------------------------------
    def _fitted(self):
        if not hasattr(self, "model_"):
            raise ValueError(f"{type(self).__name__}: this estimator is not fitted yet; call fit first")
        return self.model_

    def transform(self, X, y=None):
        """The codes of X: the posterior means for the VAEs."""
        model = self._fitted()
        if not model.has_encoder:
            raise ValueError(f"{type(self).__name__}: a {self.model} has no encoder; it only samples")
        with no_grad():
            return model.code(model.as_input(self._check(X)), self._conditioning(y)).numpy()

    def inverse_transform(self, Z, y=None):
        """Codes decoded into data space (the decoder's means)."""
        model = self._fitted()
        Z = np.asarray(backend.to_device(Z, "cpu") if hasattr(Z, "dtype") else Z, np.float32)
        z_dim = getattr(model, "z_dim", None)
        if Z.ndim != 2 or (z_dim is not None and Z.shape[1] != z_dim):
            raise ValueError(f"{type(self).__name__}: codes must have shape (n, {z_dim}), got {Z.shape}")
        with no_grad():
            return model.data_mean(model.decode(model.constant(Z), self._conditioning(y))).numpy()

    def _conditioning(self, y):
        return y if self._model_class().labels is not None else None

    def reconstruct(self, X, y=None):
        return self._fitted().reconstruct(self._check(X), self._conditioning(y))

    def sample(self, n, y=None, mean=True, seed=None):
        """n new examples: decoded codes z ~ p(z), as the decoder's means (``mean=True``), or
        as draws from p(x|z) (``mean=False``: 0/1 values for binary data). ``seed`` makes
        them repeatable."""
        model = self._fitted()
        if not model.generative:
            raise ValueError(f"{type(self).__name__}: a {self.model} draws no samples")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{type(self).__name__}: n must be a positive integer (how many samples), got {n!r}")
        if seed is not None:
            backend.manual_seed(seed)
        out = model.sample(int(n), y)
        if mean:
            return out
        if getattr(model, "likelihood", None) is None or not hasattr(model.likelihood, "draw"):
            raise ValueError(f"{type(self).__name__}: a {self.model} has no p(x|z) to draw from; use mean=True")
        return model.likelihood.draw(out, backend.default_generator())

    def score(self, X, y=None, k=100, seed=None):
        """Higher is better, so that a grid search can choose by it: the mean log-likelihood
        per example in nats, estimated with L_k (Burda et al.), for the models with one;
        for the autoencoders, which have none, minus the mean squared reconstruction error.
        Seeded (``seed``, else random_state), so a second call gives the same number."""
        model, X = self._fitted(), self._check(X)
        if not model.has_encoder:
            raise ValueError(f"{type(self).__name__}: a {self.model} has no encoder and no likelihood to score X by")
        y = self._conditioning(y)
        backend.manual_seed(self._seed() if seed is None else seed)
        if hasattr(model, "log_weights"):
            return float(evaluate.log_likelihood(model, X, k=k, y=y).mean())
        return -evaluate.reconstruction_error(model, X, y=y)

    def save(self, path):
        model = self._fitted()
        meta = {"model": model.spec, "epoch": len(self.history_ or []), "history": self.history_ or [],
                "estimator": {"class": type(self).__name__, "params": self.get_params()}}
        save_checkpoint(path, model, {}, meta)
        return path


def _same(a, b):
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except (TypeError, ValueError):
        return False


def _store(estimator, arguments):
    """``__init__`` keeps its arguments as given, and nothing else (scikit-learn's rule:
    checking and deriving happen in fit)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


# One class per common model: the model is the class's, not a parameter, and each class
# lists its parameters in its signature, where scikit-learn reads them.

class VAE(Estimator):
    """The variational autoencoder (Kingma & Welling 2014): encoder q(z|x), decoder p(x|z),
    prior N(0, I), trained on the ELBO."""
    model = "vae"

    def __init__(self, latent_dim=2, hidden=None, likelihood="auto", options=None, epochs=20, batch_size=100,
                 lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


class BetaVAE(Estimator):
    """The VAE with its KL term weighted by ``beta`` (Higgins et al. 2017)."""
    model, _model_args = "beta-vae", ("beta",)

    def __init__(self, latent_dim=2, beta=4.0, hidden=None, likelihood="auto", options=None, epochs=20,
                 batch_size=100, lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


class IWAE(Estimator):
    """The importance-weighted autoencoder (Burda et al. 2016), trained on L_k with ``k`` samples."""
    model, _model_args = "iwae", ("k",)

    def __init__(self, latent_dim=2, k=5, hidden=None, likelihood="auto", options=None, epochs=20, batch_size=100,
                 lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


class ConditionalVAE(Estimator):
    """The VAE conditioned on class labels: ``fit(X, y)``, ``sample(n, y)``."""
    model = "cvae"

    def __init__(self, latent_dim=2, hidden=None, likelihood="auto", options=None, epochs=20, batch_size=100,
                 lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


class Autoencoder(Estimator):
    """The deterministic MLP autoencoder; its ``score`` is minus the reconstruction error."""
    model = "ae"

    def __init__(self, latent_dim=2, hidden=None, likelihood="auto", options=None, epochs=20, batch_size=100,
                 lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


class AdversarialAutoencoder(Estimator):
    """The adversarial autoencoder (Makhzani et al. 2016): codes matched to ``prior``
    ("gaussian", "mixture", "swiss_roll") by a discriminator; with labels y (-1: unknown)
    and the mixture or the swiss roll, each class's codes go to its own part of the prior."""
    model, _model_args = "aae", ("prior",)

    def __init__(self, latent_dim=2, prior="gaussian", hidden=None, likelihood="auto", options=None, epochs=20,
                 batch_size=100, lr=1e-3, optimizer="adam", random_state=0, device="cpu", verbose=False):
        _store(self, locals())


ESTIMATORS = {cls.__name__: cls for cls in (Estimator, VAE, BetaVAE, IWAE, ConditionalVAE, Autoencoder,
                                            AdversarialAutoencoder)}


def load(path, device="cpu"):
    """The estimator saved with ``save``, as the class that saved it (``minivae.VAE``, ...),
    or an ``Estimator`` around any other minivae checkpoint, on ``device``."""
    model, header = load_model(path, device)
    info = header.get("estimator") if isinstance(header.get("estimator"), dict) else {}
    cls = ESTIMATORS.get(info.get("class"), Estimator)
    params = info.get("params") if isinstance(info.get("params"), dict) else None
    if params is None:
        cls, params = Estimator, {"model": header["model"]["name"], "latent_dim": getattr(model, "z_dim", 2)}
    params = _current(cls, dict(params))
    try:
        est = cls(**params)
    except TypeError as e:
        raise ValueError(f"{path}: the saved estimator's parameters do not fit ({e})") from None
    est.device = device
    est.model_, est.history_, est.n_features_in_ = model, header.get("history"), model.x_dim
    est.likelihood_ = header["model"]["kwargs"].get("likelihood")
    return est


def _current(cls, params):
    """Parameters saved by an older minivae (``seed``, model arguments beside the others) in
    today's names: ``random_state``, and ``options`` for what the class has no name for."""
    if "seed" in params:
        params["random_state"] = params.pop("seed")
    known = set(cls._param_names())
    extra = {k: params.pop(k) for k in list(params) if k not in known}
    if extra:
        params["options"] = {**(params.get("options") or {}), **extra}
    return params
