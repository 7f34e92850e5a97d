import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae.data import load_dataset
from minivae.models import create
from minivae.philox import Philox
from minivae.train import fit

SPRITES = load_dataset("sprites", n=1200)


def test_the_gan_players_and_their_losses():
    """Discriminator: -log D(x) - log(1 - D(G(z))); generator: -log D(G(z))."""
    mv.manual_seed(0)
    gan = create("gan", x_dim=16, z_dim=3, hidden=[8], disc_hidden=[6])
    assert set(gan.players()) == {"discriminator", "generator"}
    x = (np.random.default_rng(0).random((7, 16)) < 0.5).astype(np.float32)
    gan.generator = Philox(seed=1)
    with mv.no_grad():
        terms = {k: v.item() for k, v in gan.losses(x).items()}
        fake = F.sigmoid(gan.decode(mv.tensor(Philox(seed=1).normal((7, 3)))))
        d = lambda v: F.sigmoid(gan.head(gan.features(v))).numpy()
    assert terms["discriminator"] == pytest.approx(-np.log(d(mv.tensor(x))).mean() - np.log(1 - d(fake)).mean(),
                                                   rel=1e-5)
    assert terms["generator"] == pytest.approx(-np.log(d(fake)).mean(), rel=1e-5)


def test_vae_disl_trains_a_gan_first_and_keeps_its_features_frozen():
    mv.manual_seed(0)
    model = create("vae-disl", x_dim=784, z_dim=8, networks="conv", channels=(8, 16), gan_epochs=2)
    stages, after_gan = [], {}
    pretrain = model.before_fit

    def spy(x, y, train):
        gan = pretrain(x, y, lambda stage, data, epochs: stages.append((type(stage).__name__, epochs))
                       or train(stage, data, epochs))
        after_gan.update(features=[p.numpy().copy() for p in model.features.parameters()], gan=gan)
        return gan
    model.before_fit = spy
    before = ((model.reconstruct(SPRITES.valid) - SPRITES.valid) ** 2).mean()
    fit(model, SPRITES.train, epochs=3, batch_size=50, lr=2e-3, progress=False, log=lambda r: None)
    assert stages == [("GAN", 2)]
    for mine, gan, frozen in zip(model.features.parameters(), after_gan["gan"].features.parameters(),
                                 after_gan["features"]):
        np.testing.assert_array_equal(mine.numpy(), gan.numpy())   # D_l is the trained GAN's ...
        np.testing.assert_array_equal(mine.numpy(), frozen)        # ... and the VAE's training left it alone
    assert ((model.reconstruct(SPRITES.valid) - SPRITES.valid) ** 2).mean() < 0.5 * before


@pytest.mark.parametrize("pixel_weight", [0.0, 0.6])
def test_vae_disl_measures_reconstructions_in_the_features(pixel_weight):
    """-log N(D_l(x); D_l(x~), I), plus pixel_weight times the pixel error -log p(x|z)."""
    mv.manual_seed(1)
    model = create("vae-disl", x_dim=64, z_dim=3, hidden=[12], disc_hidden=[10, 5], pixel_weight=pixel_weight)
    x = (np.random.default_rng(2).random((6, 64)) < 0.4).astype(np.float32)
    model.generator = Philox(seed=3)
    with mv.no_grad():
        recon = model.loss(x)[1]["recon"].item()
        xt = mv.tensor(x)
        mu, logvar = model.encode(xt)
        logits = model.decode(mu + F.exp(logvar * 0.5) * mv.tensor(Philox(seed=3).normal(mu.shape)))
        diff = (model.features(xt) - model.features(F.sigmoid(logits))).numpy()
        pixels = F.bce_with_logits(logits, xt, "none").numpy().sum(-1)
    assert recon == pytest.approx(((0.5 * diff ** 2 + 0.5 * np.log(2 * np.pi)).sum(-1) + pixel_weight * pixels).mean(),
                                  rel=1e-5)
    assert set(model.players()) == {"model"} and not any(p.requires_grad for p in model.features.parameters())
    with pytest.raises(ValueError, match="pixel_weight must be"):
        create("vae-disl", x_dim=64, pixel_weight=-1.0)
