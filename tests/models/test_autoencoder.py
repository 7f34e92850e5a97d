import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import MODELS, Autoencoder, create
from minivae.train import fit
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


@pytest.mark.parametrize("code", [None, "sigmoid"])
def test_without_a_bottleneck_the_autoencoder_copies_its_input(code):
    """"What kind of compression can we achieve if d_z = d_x? None! We need d_z < d_x"
    (CISC 7026; Tagaris). Trained on data near a 3-D subspace of R^16, an autoencoder with a
    16-wide code (linear, or the lecture's sigma(theta^T x)) learns to copy: it gives back
    noise of the data's size, unlike anything it saw, about as well as the data (the linear
    one's decoder undoes its encoder: W_e W_d = I). With d_z = 3 < d_x it keeps the data's
    subspace and drops the rest of the noise."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3000, 3)) @ rng.standard_normal((3, 16)) + 0.3 * rng.standard_normal((3000, 16)))
    x = x.astype(np.float32)
    noise = (rng.standard_normal((500, 16)) * x.std()).astype(np.float32)
    error, models = {}, {}
    for z_dim in (16, 3):
        mv.manual_seed(0)
        models[z_dim] = model = create("ae", x_dim=16, z_dim=z_dim, hidden=[], code_activation=code)
        fit(model, x, epochs=40, batch_size=100, lr=1e-2, progress=False, log=lambda r: None)
        error[z_dim] = {name: float(((model.reconstruct(a) - a) ** 2).sum() / (a ** 2).sum())
                        for name, a in (("data", x), ("noise", noise))}
    if code is None:
        W_e, W_d = models[16].encoder[0].weight.numpy(), models[16].decoder[0].weight.numpy()
        np.testing.assert_allclose(W_e @ W_d, np.eye(16), atol=0.02)
        assert error[16]["data"] < 1e-3 and error[16]["noise"] < 1e-2
    else:
        assert error[16]["data"] < 0.02 and error[16]["noise"] < 0.5
    assert error[3]["data"] < 0.1 and error[3]["noise"] > 0.75


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
