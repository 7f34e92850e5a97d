"""batchnorm=True for every model built from MLPs ("batch normalization was crucial" in the
adversarial autoencoders' clustering experiments)."""
import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import MODELS, create, options
from minivae.nn import BatchNorm1d
from minivae.train import fit

DATA = load_dataset("ring", n=600)
MLP_MODELS = [name for name in MODELS if "batchnorm" in options(name)]


def test_every_mlp_model_takes_it():
    assert set(MLP_MODELS) >= {"ae", "sparse-ae", "denoising-ae", "masked-ae", "vae", "beta-vae", "iwae", "aae",
                               "vaegan", "gan", "mog-vae"}


@pytest.mark.parametrize("name", [n for n in MLP_MODELS if n not in ("cvae",)])
def test_the_layers_are_there_train_and_use_running_statistics_in_eval(name):
    mv.manual_seed(0)
    kwargs = {"z_dims": [2], "hidden": [[16]]} if name == "iwae" else {"z_dim": 2, "hidden": [16]}
    model = create(name, x_dim=2, batchnorm=True, **kwargs)
    norms = [m for _, m in model.named_modules() if isinstance(m, BatchNorm1d)]
    assert norms
    fit(model, DATA.train, epochs=1, batch_size=50, progress=False, log=lambda r: None)
    assert any(not np.allclose(m.running_mean, 0) for m in norms)   # the statistics were tracked
    model.eval()
    if model.has_encoder:   # one example at a time: the running statistics, not a batch's
        one = model.code(mv.tensor(DATA.valid[:1])).numpy()
        np.testing.assert_allclose(one, model.code(mv.tensor(DATA.valid[:5])).numpy()[:1], rtol=1e-5, atol=1e-6)
