"""The autoencoder / VAE family, by the names the command line uses."""
from .aae import AdversarialAutoencoder
from .autoencoder import Autoencoder
from .base import Model
from .contractive_ae import ContractiveAutoencoder
from .cvae import ConditionalVAE
from .denoising_ae import DenoisingAutoencoder
from .iwae import IWAE
from .linear_ae import LinearAutoencoder
from .masked_ae import MaskedAutoencoder
from .sparse_ae import SparseAutoencoder
from .vae import VAE, BetaVAE, kl_warmup
from .vaegan import VAEGAN

MODELS = {
    "ae": Autoencoder, "linear-ae": LinearAutoencoder, "sparse-ae": SparseAutoencoder,
    "denoising-ae": DenoisingAutoencoder, "contractive-ae": ContractiveAutoencoder,
    "masked-ae": MaskedAutoencoder, "vae": VAE, "beta-vae": BetaVAE, "cvae": ConditionalVAE,
    "iwae": IWAE, "aae": AdversarialAutoencoder, "vaegan": VAEGAN,
}


def create(name, **kwargs):
    """A model by its registered name: ``create("vae", x_dim=784, z_dim=20)``. The model
    remembers how it was made (``model.spec``), so that a checkpoint can rebuild it."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    try:
        model = MODELS[name](**kwargs)
    except TypeError as e:
        raise ValueError(f"model {name}: {e}") from None
    model.spec = {"name": name, "kwargs": kwargs}
    return model
