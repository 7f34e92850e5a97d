import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import VAEGAN
from training import train


def test_vaegan_trains_its_three_players():
    mv.manual_seed(0)
    x = ring(2000)
    model = VAEGAN(2, 2, hidden=(32, 32))
    assert set(model.players()) == {"encoder", "decoder", "discriminator"}
    mse_before = ((model.reconstruct(x) - x) ** 2).mean()
    with mv.no_grad():
        enc_before = np.mean([model.losses(x)["encoder"].item() for _ in range(5)])
    train(model, x, steps=600, lr=1e-3)
    with mv.no_grad():
        enc_after = np.mean([model.losses(x)["encoder"].item() for _ in range(5)])
    assert enc_after < enc_before
    assert ((model.reconstruct(x) - x) ** 2).mean() < 0.5 * mse_before
    assert np.isfinite(model.sample(10)).all()


def _tiny_conv_vaegan():
    mv.manual_seed(2)
    model = VAEGAN(64, z_dim=3, networks="conv", channels=(4, 6), likelihood="bernoulli", gamma=0.3)
    x = (np.random.default_rng(3).random((5, 64)) < 0.4).astype(np.float32)
    return model, x


def _grads(loss, params):
    return [g.numpy() for g in mv.grad(loss, params)]


def test_the_encoder_learns_through_the_discriminator_features():
    """The encoder's loss is L_prior + L_llike^{Dis_l}: its gradient equals that of
    KL + 0.5 ||D_l(x) - D_l(x~)||^2 written out here, and not that of a pixel-wise error."""
    import minivae.functional as F
    from minivae.philox import Philox
    model, x = _tiny_conv_vaegan()
    params = model.encoder.parameters()
    model.generator = Philox(seed=4)
    got = _grads(model.losses(x)["encoder"], params)

    def loss(reconstruction):
        noise, xt = Philox(seed=4), mv.tensor(x)
        mu, logvar = model.encode(xt)
        z = mu + F.exp(logvar * 0.5) * mv.tensor(noise.normal(mu.shape))
        kl = ((F.exp(logvar) + mu * mu - 1.0 - logvar) * 0.5).sum(-1)
        return (kl + reconstruction(xt, model.decode(z))).mean()

    def features(xt, logits):
        diff = model.features(xt) - model.features(F.sigmoid(logits))
        return (diff * diff * 0.5).sum(-1)
    for a, b in zip(got, _grads(loss(features), params)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    pixels = _grads(loss(lambda xt, logits: F.bce_with_logits(logits, xt, "none").sum(-1)), params)
    assert not all(np.allclose(a, b, rtol=0.1, atol=1e-3) for a, b in zip(got, pixels))


def test_the_decoder_weighs_features_against_fooling_the_discriminator():
    """Decoder: gamma L_llike^{Dis_l} - L_GAN (non-saturating); discriminator: -L_GAN."""
    import minivae.functional as F
    from minivae.philox import Philox
    model, x = _tiny_conv_vaegan()
    model.generator = Philox(seed=5)
    with mv.no_grad():
        terms = {k: v.item() for k, v in model.losses(x).items()}
        noise, xt = Philox(seed=5), mv.tensor(x)
        mu, logvar = model.encode(xt)
        x_tilde = F.sigmoid(model.decode(mu + F.exp(logvar * 0.5) * mv.tensor(noise.normal(mu.shape))))
        x_p = F.sigmoid(model.decode(mv.tensor(noise.normal((5, 3)))))
        d = lambda v: F.sigmoid(model.head(model.features(v))).numpy()
        diff = (model.features(xt) - model.features(x_tilde)).numpy()
        llike = (0.5 * diff ** 2 + 0.5 * np.log(2 * np.pi)).sum(-1).mean()
        fool = -np.log(d(x_tilde)).mean() - np.log(d(x_p)).mean()
        disc = -np.log(d(xt)).mean() - np.log(1 - d(x_tilde)).mean() - np.log(1 - d(x_p)).mean()
    assert terms["decoder"] == pytest.approx(0.3 * llike + fool, rel=1e-4)
    assert terms["discriminator"] == pytest.approx(disc, rel=1e-4)


def test_the_convolutional_vaegan_trains_on_images():
    from minivae.data import load_dataset
    from minivae.train import fit
    data = load_dataset("sprites", n=1200)
    mv.manual_seed(0)
    model = VAEGAN(784, z_dim=8, networks="conv", channels=(8, 16), likelihood="bernoulli")
    pixels = lambda: ((model.reconstruct(data.valid) - data.valid) ** 2).mean()
    before = pixels()
    fit(model, data.train, epochs=2, batch_size=50, lr=2e-3, progress=False, log=lambda r: None)
    assert pixels() < 0.7 * before and np.isfinite(model.sample(4)).all()
