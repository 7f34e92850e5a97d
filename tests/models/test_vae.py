import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import VAE
from minivae.optim import Adam


def test_vae_loss_is_recon_plus_beta_kl():
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(8,), beta=0.5)
    loss, terms = model.loss(ring(16))
    np.testing.assert_allclose(loss.item(), terms["recon"].item() + 0.5 * terms["kl"].item(), rtol=1e-6)
    assert terms["kl"].item() >= 0


def test_vae_learns_the_ring():
    mv.manual_seed(0)
    x = ring(2000, seed=1)
    model = VAE(2, 2, hidden=(32, 32))
    opt = Adam(model.parameters(), lr=3e-3)
    first = np.mean([model.loss(x[:500])[0].item() for _ in range(5)])
    rng = np.random.default_rng(0)
    for _ in range(15):
        for idx in np.array_split(rng.permutation(2000), 40):
            loss, _ = model.loss(x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    last, terms = model.loss(x[:500])
    assert np.mean([model.loss(x[:500])[0].item() for _ in range(5)]) < first - 0.1
    assert terms["kl"].item() > 0.3   # the latent code is in use, not collapsed to the prior


def test_vae_bad_input_shape():
    with pytest.raises(ValueError, match=r"expected data of shape \(n, 2\), got \(4, 3\)"):
        VAE(2).loss(np.ones((4, 3)))
