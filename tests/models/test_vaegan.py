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
    """Decoder: gamma L_llike^{Dis_l} + (1 - gamma) (-log D(x~) - log D(x_p)); discriminator:
    -L_GAN with real images weighing real_weight and the two fakes the rest, halved."""
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
        real, fake = -np.log(d(xt)).mean(), -(np.log(1 - d(x_tilde)).mean() + np.log(1 - d(x_p)).mean()) / 2
    assert terms["decoder"] == pytest.approx(0.3 * llike + 0.7 * fool, rel=1e-4)
    assert terms["discriminator"] == pytest.approx(0.5 * real + 0.5 * fake, rel=1e-4)


@pytest.mark.parametrize("real, fake, decoder, discriminator", [
    (0.7, 0.6, False, False),    # in balance: both learn
    (0.2, 0.7, False, True),     # the discriminator is far ahead on real images: it waits
    (0.7, 0.1, False, True),     # ... or on fakes
    (1.2, 0.7, True, False),     # it is far behind: the decoder waits
    (0.2, 1.5, False, False)])   # both would wait: both learn
def test_the_balance_rule_skips_the_player_far_ahead(real, fake, decoder, discriminator):
    model, _ = _tiny_conv_vaegan()   # margin 0.35 around 0.68: [0.33, 1.03]
    assert (model.skips("decoder", real, fake), model.skips("discriminator", real, fake)) == (decoder, discriminator)


def test_a_skipped_update_leaves_the_player_as_it_was():
    """The trainer takes ``skip`` from the player's losses: a discriminator the rule holds
    back keeps its weights through a step; the others move."""
    from minivae.train import fit
    model, x = _tiny_conv_vaegan()
    model.skips = lambda player, real, fake: player == "discriminator"
    before = {k: [p.data.copy() for p in v] for k, v in model.players().items()}
    fit(model, x, epochs=1, batch_size=5, progress=False, log=lambda r: None)
    moved = {k: any(not np.array_equal(a, p.data) for a, p in zip(before[k], v)) for k, v in model.players().items()}
    assert moved == {"encoder": True, "decoder": True, "discriminator": False}


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


class _PixelDecoder(VAEGAN):
    """The ablation: the decoder learns from a pixel error alone, as a VAE's decoder does;
    the encoder and the discriminator are VAE/GAN's."""

    def losses(self, x, y=None, player=None):
        import minivae.functional as F
        out = super().losses(x, y, player)
        if player == "decoder":
            x = self.as_input(x)
            mu, logvar = self.encode(x)
            z, _ = F.reparameterize_kl(mu, logvar, self.generator.normal(mu.shape))
            out["decoder"] = F.bce_with_logits(self.decode(z), x, "none").sum(-1).mean()
        return out


def test_the_decoders_samples_hold_the_discriminator_off_which_a_pixel_error_cannot():
    """Trained as VAE/GAN, the decoder's samples fool the discriminator trained against them
    a fair part of the time (its cost on them stays well above zero); a decoder that learns
    from pixels alone lets the same discriminator tell its samples apart (cost near zero)."""
    import minivae.functional as F
    from minivae.data import load_dataset
    from minivae.train import fit
    data = load_dataset("sprites", n=1000)

    def cost_on_samples(cls):
        mv.manual_seed(0)
        model = cls(784, z_dim=8, networks="conv", channels=(8, 16), likelihood="bernoulli", margin=None)
        fit(model, data.train, epochs=2, batch_size=50, optimizer="rmsprop", lr=1e-3, progress=False,
            log=lambda r: None)
        with mv.no_grad():
            logits = model.head(model.features(model.constant(model.sample(500))))
            return F.bce_with_logits(logits, model.filled(logits.shape, 0.0)).item()
    vaegan, pixels = cost_on_samples(VAEGAN), cost_on_samples(_PixelDecoder)
    assert vaegan > 0.15 and vaegan > 4 * pixels, (vaegan, pixels)


def test_a_learned_feature_sigma_is_each_images_mean_squared_error():
    """With sigma^2 at its maximum-likelihood value per image, -log N summed over n features
    is 0.5 n (1 + log 2pi + log mse): a log of the error, whose gradient does not fade as the
    features shrink; sigma = 2 divides the squared error by 4 and adds n log 2."""
    from minivae.testing import gradcheck
    rng = np.random.default_rng(0)
    f_x, f_t = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    mse = ((f_x - f_t) ** 2).mean(1)
    learned = VAEGAN(4, feature_sigma="learned", margin=None)
    value = learned.feature_nll(mv.tensor(f_x, dtype=np.float64), mv.tensor(f_t, dtype=np.float64)).item()
    np.testing.assert_allclose(value, np.mean(0.5 * 5 * (1 + np.log(2 * np.pi) + np.log(mse + 1e-8))), rtol=1e-7)
    assert gradcheck(lambda t: learned.feature_nll(mv.tensor(f_x, dtype=np.float64), t), f_t)
    fixed = VAEGAN(4, feature_sigma=2.0, margin=None).feature_nll(mv.tensor(f_x), mv.tensor(f_t)).item()
    expected = np.mean(0.5 * ((f_x - f_t) ** 2 / 4 + np.log(2 * np.pi) + np.log(4)).sum(1))
    np.testing.assert_allclose(fixed, expected, rtol=1e-5)
    for bad in (0.0, -1.0, "sometimes"):
        with pytest.raises(ValueError, match="feature_sigma"):
            VAEGAN(4, feature_sigma=bad)


def test_pixels_instance_noise_and_a_smoothed_real_target_enter_where_they_belong():
    """pixel_weight w adds w (-log p(x|z)) to L_llike, in the encoder's and the decoder's
    losses; every image the discriminator judges carries instance noise sigma e (three draws
    after the VAE's); real images are labelled real_target, fakes 0."""
    import minivae.functional as F
    from minivae.philox import Philox
    mv.manual_seed(2)
    model = VAEGAN(64, z_dim=3, networks="conv", channels=(4, 6), likelihood="bernoulli", gamma=0.3, margin=None,
                   pixel_weight=2.0, instance_noise=0.5, real_target=0.9)
    x = (np.random.default_rng(3).random((5, 64)) < 0.4).astype(np.float32)
    model.generator = Philox(seed=5)
    with mv.no_grad():
        terms = {k: v.item() for k, v in model.losses(x).items()}
        noise, xt = Philox(seed=5), mv.tensor(x)
        mu, logvar = model.encode(xt)
        z = mu + F.exp(logvar * 0.5) * mv.tensor(noise.normal(mu.shape))
        kl = ((F.exp(logvar) + mu * mu - 1.0 - logvar) * 0.5).sum(-1).numpy().mean()
        logits = model.decode(z)
        x_tilde, x_p = F.sigmoid(logits), F.sigmoid(model.decode(mv.tensor(noise.normal((5, 3)))))
        e = [mv.tensor(noise.normal((5, 64))) * 0.5 for _ in range(3)]
        d = lambda v, k: F.sigmoid(model.head(model.features(v + e[k]))).numpy()
        diff = (model.features(xt) - model.features(x_tilde)).numpy()
        pixels = F.bce_with_logits(logits, xt, "none").sum(-1).numpy().mean()
        llike = (0.5 * diff ** 2 + 0.5 * np.log(2 * np.pi)).sum(-1).mean() + 2.0 * pixels
        fool = -np.log(d(x_tilde, 1)).mean() - np.log(d(x_p, 2)).mean()
        real = -(0.9 * np.log(d(xt, 0)) + 0.1 * np.log(1 - d(xt, 0))).mean()
        fake = -(np.log(1 - d(x_tilde, 1)).mean() + np.log(1 - d(x_p, 2)).mean()) / 2
    assert terms["encoder"] == pytest.approx(kl + llike, rel=1e-4)
    assert terms["decoder"] == pytest.approx(0.3 * llike + 0.7 * fool, rel=1e-4)
    assert terms["discriminator"] == pytest.approx(0.5 * real + 0.5 * fake, rel=1e-4)
    for bad in (dict(pixel_weight=-1.0), dict(instance_noise=-0.1), dict(real_target=0.4), dict(real_target=1.1)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            VAEGAN(4, **bad)


def test_its_loss_is_the_pixel_elbo_beside_the_players_losses():
    """What ranks checkpoints is -ELBO in pixels, KL + BCE with the players' draw of z,
    whatever the players' own losses weigh."""
    import minivae.functional as F
    from minivae.philox import Philox
    model, x = _tiny_conv_vaegan()
    model.generator = Philox(seed=6)
    with mv.no_grad():
        loss, terms = model.loss(x)
        noise, xt = Philox(seed=6), mv.tensor(x)
        mu, logvar = model.encode(xt)
        z = mu + F.exp(logvar * 0.5) * mv.tensor(noise.normal(mu.shape))
        kl = ((F.exp(logvar) + mu * mu - 1.0 - logvar) * 0.5).sum(-1).numpy()
        bce = F.bce_with_logits(model.decode(z), xt, "none").sum(-1).numpy()
    assert loss.item() == pytest.approx((kl + bce).mean(), rel=1e-4)
    assert {"encoder", "decoder", "discriminator"} <= set(terms)
    assert terms["recon"].item() == pytest.approx(bce.mean(), rel=1e-4)
