"""minivae as a lightweight dependency: estimators with fit / transform / sample / score.

    model = minivae.VAE(latent_dim=2).fit(X)
    codes = model.transform(X)          # posterior means
    new = model.sample(100)
    nats = model.score(X)               # mean log-likelihood, through L_k
    model.save("vae.npz"); again = minivae.load("vae.npz")
"""
import numpy as np

from . import backend, eval as evaluate
from .models import create
from .train import fit, load_model, save_checkpoint
from .train.trainer import format_record


class Estimator:
    """Any model of the family by name, with scikit-learn-like methods."""

    def __init__(self, model="vae", latent_dim=2, epochs=20, batch_size=100, lr=1e-3, seed=0, progress=False,
                 verbose=False, device="cpu", **model_kwargs):
        self.model_name, self.latent_dim, self.epochs = model, latent_dim, epochs
        self.batch_size, self.lr, self.seed, self.progress = batch_size, lr, seed, progress
        self.verbose = verbose   # a line per epoch (and a progress bar on a terminal)
        self.device = device     # "cpu", or "cuda" (CuPy and a GPU); data stays NumPy either way
        self.model_kwargs, self.model_, self.history_ = model_kwargs, None, None
        self.params_ = {"model": model, "latent_dim": latent_dim, "epochs": epochs, "batch_size": batch_size,
                        "lr": lr, "seed": seed, **model_kwargs}

    def _check(self, X, name="X"):
        X = backend.to_device(X, "cpu") if hasattr(X, "dtype") else np.asarray(X)   # CuPy data too
        X = np.asarray(X)
        if X.ndim != 2 or X.dtype.kind not in "biuf":
            raise ValueError(f"{type(self).__name__}: {name} must be a 2-D numeric array, got shape "
                             f"{X.shape} and dtype {X.dtype}")
        if not np.isfinite(X).all():
            raise ValueError(f"{type(self).__name__}: {name} holds NaN or infinite values")
        if self.model_ is not None and X.shape[1] != self.model_.x_dim:
            raise ValueError(f"{type(self).__name__}: {name} has {X.shape[1]} features; the model was fit on "
                             f"{self.model_.x_dim}")
        return X.astype(np.float32)

    def fit(self, X, y=None, validation=None):
        X = self._check(X)
        binary = bool(np.isin(X, (0.0, 1.0)).all())
        kwargs = {"x_dim": X.shape[1], "likelihood": "bernoulli" if binary else "gaussian", **self.model_kwargs}
        kwargs["z_dims" if self.model_name == "iwae" else "z_dim"] = (
            [self.latent_dim] if self.model_name == "iwae" else self.latent_dim)
        if self.model_name == "linear-ae":
            kwargs.pop("likelihood")
        backend.array_module(self.device)   # an unavailable device: a ValueError before any work
        backend.manual_seed(self.seed)
        self.model_ = create(self.model_name, **kwargs).to(self.device)
        valid = None if validation is None else self._check(validation, "validation")
        log = (lambda r: print(format_record(r), flush=True)) if self.verbose else (lambda r: None)
        self.history_ = fit(self.model_, X, y, valid, epochs=self.epochs, batch_size=self.batch_size,
                            lr=self.lr, seed=self.seed, progress=self.progress or self.verbose, log=log)
        return self

    def _fitted(self):
        if self.model_ is None:
            raise ValueError(f"{type(self).__name__}: call fit first")
        return self.model_

    def transform(self, X, y=None):
        """The codes of X: posterior means for the VAEs."""
        model = self._fitted()
        from .core import no_grad
        with no_grad():
            return model.code(model.as_input(self._check(X)), y).numpy()

    def reconstruct(self, X, y=None):
        return self._fitted().reconstruct(self._check(X), y)

    def sample(self, n, y=None, mean=True, seed=None):
        """n new examples: decoded codes z ~ p(z), as the decoder's means (``mean=True``), or
        as draws from p(x|z) (``mean=False``: 0/1 values for binary data). ``seed`` makes
        them repeatable."""
        model = self._fitted()
        if seed is not None:
            backend.manual_seed(seed)
        out = model.sample(int(n), y)
        if mean:
            return out
        if getattr(model, "likelihood", None) is None or not hasattr(model.likelihood, "draw"):
            raise ValueError(f"{type(self).__name__}: a {self.model_name} has no p(x|z) to draw from; use mean=True")
        return model.likelihood.draw(out, backend.default_generator())

    def score(self, X, y=None, k=100, seed=0):
        """Mean log-likelihood per example in nats, estimated with L_k (Burda et al.); the
        importance samples are seeded, so a second call gives the same number."""
        model, X = self._fitted(), self._check(X)
        backend.manual_seed(seed)
        return float(evaluate.log_likelihood(model, X, k=k, y=y).mean())

    def save(self, path):
        model = self._fitted()
        meta = {"model": model.spec, "epoch": len(self.history_ or []), "history": self.history_ or [],
                "estimator": {"class": type(self).__name__, "params": self.params_}}
        save_checkpoint(path, model, {}, meta)
        return path


class VAE(Estimator):
    def __init__(self, latent_dim=2, **kwargs):
        super().__init__("vae", latent_dim, **kwargs)


class BetaVAE(Estimator):
    def __init__(self, latent_dim=2, beta=4.0, **kwargs):
        super().__init__("beta-vae", latent_dim, beta=beta, **kwargs)


class IWAE(Estimator):
    def __init__(self, latent_dim=2, k=5, **kwargs):
        super().__init__("iwae", latent_dim, k=k, **kwargs)


ESTIMATORS = {"VAE": VAE, "BetaVAE": BetaVAE, "IWAE": IWAE, "Estimator": Estimator}


def load(path, device="cpu"):
    """The estimator saved with ``save``, as the class that saved it (``minivae.VAE``, ...),
    or an ``Estimator`` around any other minivae checkpoint, on ``device``."""
    model, header = load_model(path, device)
    info = header.get("estimator") if isinstance(header.get("estimator"), dict) else {}
    cls = ESTIMATORS.get(info.get("class"), Estimator)
    params = info.get("params") if isinstance(info.get("params"), dict) else None
    if params is None:
        cls, params = Estimator, {"model": header["model"]["name"], "latent_dim": getattr(model, "z_dim", 2)}
    est = cls.__new__(cls)   # the saved parameters already hold the subclass's choices
    try:
        Estimator.__init__(est, **params)
    except TypeError as e:
        raise ValueError(f"{path}: the saved estimator's parameters do not fit ({e})") from None
    est.model_, est.history_, est.device = model, header.get("history"), device
    return est
