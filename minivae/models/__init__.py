"""The autoencoder / VAE family, by the names the command line uses."""
import inspect

from .aae import AdversarialAutoencoder
from .autoencoder import Autoencoder
from .base import Model
from .contractive_ae import ContractiveAutoencoder
from .conv import ConvAutoencoder, ConvVAE
from .classifier import ConvClassifier, MLPClassifier
from .clustering_aae import ClusteringAAE
from .cvae import ConditionalVAE
from .denoising_ae import DenoisingAutoencoder
from .dim_reduction_aae import DimensionReductionAAE
from .dr_vae import DRVAE
from .gan import GAN, VAEDisl
from .hole_filling_cvae import HoleFillingCVAE
from .iwae import IWAE
from .linear_ae import LinearAutoencoder
from .masked_ae import MaskedAutoencoder
from .mixture_vae import MixturePosteriorVAE
from .naive_mc import NaiveMonteCarlo
from .settings import check_options, check_sizes, step_bytes  # noqa: F401
from .sparse_ae import SparseAutoencoder
from .vae import VAE, BetaVAE
from .vaegan import VAEGAN

MODELS = {
    "ae": Autoencoder, "linear-ae": LinearAutoencoder, "sparse-ae": SparseAutoencoder,
    "denoising-ae": DenoisingAutoencoder, "contractive-ae": ContractiveAutoencoder,
    "masked-ae": MaskedAutoencoder, "vae": VAE, "beta-vae": BetaVAE, "cvae": ConditionalVAE,
    "iwae": IWAE, "aae": AdversarialAutoencoder, "vaegan": VAEGAN,
    "conv-ae": ConvAutoencoder, "conv-vae": ConvVAE, "gan": GAN, "vae-disl": VAEDisl,
    "classifier": ConvClassifier, "dr-vae": DRVAE, "mog-vae": MixturePosteriorVAE,
    "naive-mc": NaiveMonteCarlo, "clustering-aae": ClusteringAAE, "hole-filling-cvae": HoleFillingCVAE,
    "mlp-classifier": MLPClassifier, "dim-reduction-aae": DimensionReductionAAE,
}


def create(name, **kwargs):
    """A model by its registered name: ``create("vae", x_dim=784, z_dim=20)``. The model
    remembers how it was made (``model.spec``), so that a checkpoint can rebuild it."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    check_sizes(name, kwargs)
    check_options(name, kwargs)
    try:
        model = MODELS[name](**kwargs)
    except TypeError as e:
        raise ValueError(f"model {name}: {e}") from None
    except MemoryError:
        raise ValueError(f"model {name} with {kwargs} does not fit in memory") from None
    model.spec = {"name": name, "kwargs": kwargs}
    return model


def options(name):
    """The keyword arguments model ``name`` takes, following ``**kwargs`` into the classes
    it passes them on to (``BetaVAE`` takes ``hidden`` through ``VAE``)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    names = set()
    for cls in MODELS[name].__mro__:
        if "__init__" not in cls.__dict__:
            continue
        params = inspect.signature(cls.__dict__["__init__"]).parameters.values()
        names |= {p.name for p in params if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names
