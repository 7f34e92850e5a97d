import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import MODELS, Autoencoder, SparseAutoencoder, create
from training import mean_loss, train


def test_autoencoder_lowers_its_loss_on_the_ring():
    mv.manual_seed(0)
    x = ring(2000)
    model = Autoencoder(2, 1, hidden=(32, 32))
    before = mean_loss(model, x)
    mse_before = ((model.reconstruct(x) - x) ** 2).mean()
    train(model, x, steps=400, lr=3e-3)
    assert mean_loss(model, x) < before
    # the loss holds the constant 0.5 log 2 pi per dimension; the squared error shows the gain
    assert ((model.reconstruct(x) - x) ** 2).mean() < 0.2 * mse_before


def test_sparse_penalty_makes_codes_sparser():
    x = ring(2000)
    l1 = {}
    for lam in (0.0, 1.0):
        mv.manual_seed(0)
        model = SparseAutoencoder(2, 8, hidden=(32,), lam=lam)
        before = mean_loss(model, x)
        train(model, x, steps=400, lr=3e-3)
        assert mean_loss(model, x) < before
        with mv.no_grad():
            l1[lam] = np.abs(model.encode(mv.tensor(x)).numpy()).sum(1).mean()
    assert l1[1.0] < 0.5 * l1[0.0]


def test_registry_names():
    assert list(MODELS) == ["ae", "linear-ae", "sparse-ae", "denoising-ae", "contractive-ae", "masked-ae",
                            "vae", "beta-vae", "cvae", "iwae", "aae", "vaegan", "conv-ae", "conv-vae", "gan",
                            "vae-disl", "classifier", "dr-vae", "mog-vae", "naive-mc", "clustering-aae",
                            "hole-filling-cvae", "mlp-classifier", "dim-reduction-aae"]
    model = create("ae", x_dim=4, z_dim=3)
    assert isinstance(model, Autoencoder) and model.spec == {"name": "ae", "kwargs": {"x_dim": 4, "z_dim": 3}}
    with pytest.raises(ValueError, match="unknown model 'wgan'"):
        create("wgan", x_dim=4)
    with pytest.raises(ValueError, match="model vae: .*unexpected keyword argument 'depth'"):
        create("vae", x_dim=4, depth=3)


def test_bad_input():
    model = Autoencoder(3)
    with pytest.raises(ValueError, match=r"Autoencoder: expected x of shape \(n, 3\), got \(5, 2\)"):
        model.loss(np.ones((5, 2)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.loss(np.full((5, 3), np.nan))
    with pytest.raises(TypeError, match="must be numeric"):
        model.loss(np.array([["a", "b", "c"]]))
