"""minivae: a from-scratch autodiff engine and the autoencoder / VAE family built on it."""
from . import backend, functional, nn, optim
from .backend import cuda_available, manual_seed
from .core import enable_grad, grad, no_grad, set_grad_enabled
from .kernels import kernel_info, set_graph_gemm, set_kernels, set_tf32
from .ops import Tensor, tensor

__version__ = "0.1.0"

_API = ("VAE", "BetaVAE", "IWAE", "ConditionalVAE", "Autoencoder", "AdversarialAutoencoder", "Estimator", "load")
# the layers above the engine, reachable as minivae.data, minivae.train, ... once named
_SUBMODULES = ("core", "ops", "models", "data", "train", "eval", "latent", "config", "run", "api", "plot", "figures",
               "image_models", "benchmarks", "testing", "philox", "distributed", "atomic", "cli", "profiler", "trace")


def __getattr__(name):
    """The estimator API (minivae.VAE(...).fit(X), minivae.load) and the submodules, imported
    on first use so that ``import minivae`` stays light."""
    if name in _API:
        from . import api
        return getattr(api, name)
    if name == "profile":   # with minivae.profile() as p: ... (minivae/profiler.py)
        from .profiler import profile
        return profile
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'minivae' has no attribute {name!r}")


__all__ = ["Tensor", "tensor", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "manual_seed", "cuda_available", "functional", "nn", "optim", "set_kernels", "set_tf32", "set_graph_gemm", "kernel_info",
           "VAE", "BetaVAE", "IWAE", "ConditionalVAE", "Autoencoder", "AdversarialAutoencoder", "Estimator", "load",
           "profile"]
