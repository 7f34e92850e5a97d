import numpy as np
import pytest

import minivae as mv
from minivae.data import ring
from minivae.models import VAE
from minivae.optim import Adam
from shared import SHARED, needs_shared


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
    with pytest.raises(ValueError, match=r"VAE: expected x of shape \(n, 2\), got \(4, 3\)"):
        VAE(2).loss(np.ones((4, 3)))


def test_closed_form_kl_equals_monte_carlo_kl_of_the_model():
    from scipy.stats import norm
    mv.manual_seed(0)
    model = VAE(2, 3, hidden=(8,))
    x = mv.tensor(ring(4))
    with mv.no_grad():
        mu, logvar = model.encode(x)
    mu, sd = mu.numpy().astype(np.float64), np.exp(logvar.numpy() / 2).astype(np.float64)
    z = mu + sd * np.random.default_rng(0).standard_normal((100_000, 4, 3))
    log_ratio = (norm.logpdf(z, mu, sd) - norm.logpdf(z)).sum(-1)
    mc, se = log_ratio.mean(0), log_ratio.std(0) / np.sqrt(len(z))
    with mv.no_grad():
        closed = mv.functional.kl_normal(mv.tensor(mu), mv.tensor(np.log(sd ** 2))).numpy()
    assert np.all(np.abs(closed - mc) < 4 * se)


def test_analytic_and_sampled_kl_agree_in_expectation():
    mv.manual_seed(0)
    x = ring(64)
    analytic = VAE(2, 2, hidden=(16,), likelihood="gaussian", sigma=0.5)
    sampled = VAE(2, 2, hidden=(16,), likelihood="gaussian", sigma=0.5, kl="sample", n_samples=200)
    sampled.load_state_dict(analytic.state_dict())
    with mv.no_grad():
        a = np.mean([analytic.loss(x)[0].item() for _ in range(200)])
        s = sampled.loss(x)[0].item()
    assert abs(a - s) < 0.05 * abs(a)


def test_beta_vae_trades_reconstruction_for_a_smaller_kl():
    from minivae.models import BetaVAE
    from training import train
    x = ring(2000)
    kl = {}
    for beta in (1.0, 8.0):
        mv.manual_seed(0)
        model = train(BetaVAE(2, 2, hidden=(32,), beta=beta), x, steps=400, lr=3e-3)
        with mv.no_grad():
            kl[beta] = np.mean([model.loss(x)[1]["kl"].item() for _ in range(5)])
    assert kl[8.0] < 0.5 * kl[1.0]


def test_beta_vae_weights_the_kl_and_warmup():
    from minivae.models import BetaVAE
    mv.manual_seed(0)
    model = BetaVAE(2, 2, hidden=(8,))
    loss, terms = model.loss(ring(32))
    np.testing.assert_allclose(loss.item(), terms["recon"].item() + 4.0 * terms["kl"].item(), rtol=1e-5)


def test_learned_sigma_tracks_the_reconstruction_error():
    """For a fixed decoder, the best sigma^2 per dimension is E[(x - f(z))^2]."""
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(16,))
    assert "likelihood.logvar" in dict(model.named_parameters())
    from training import train
    x = ring(1000)
    train(model, x, steps=400, lr=1e-2)
    with mv.no_grad():
        mu, logvar = model.encode(mv.tensor(x))
        residual = np.mean([((model.decode(mv.tensor(model.noise(mu.shape) * np.exp(logvar.numpy() / 2)
                                                     + mu.numpy())).numpy() - x) ** 2).mean(0)
                            for _ in range(20)], axis=0)
    ratio = np.exp(model.likelihood.logvar.numpy()) / residual
    assert np.all((0.5 < ratio) & (ratio < 2.0)), ratio


def test_a_mixture_prior_estimates_the_kl_by_sampling():
    """KL(q(z|x) || p(z)) has no closed form for a mixture p(z): the term is log q(z|x) -
    log p(z) at the drawn z, with p the mixture's density (not N(0, I))."""
    from minivae.philox import Philox
    import minivae.functional as F
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(8,), prior="mixture", prior_components=5)
    assert model.kl == "sample"
    x = ring(16)
    model.generator = Philox(seed=3)
    with mv.no_grad():
        kl = model.loss(x)[1]["kl"].item()
        mu, logvar = model.encode(mv.tensor(x))
        z = mu + F.exp(logvar * 0.5) * mv.tensor(Philox(seed=3).normal((1, 16, 2)))
        by_hand = (F.log_normal(z, mu, logvar) - model.prior.log_prob(z)).mean().item()
        standard = (F.log_normal(z, mu, logvar) + ((z * z + np.log(2 * np.pi)) * 0.5).sum(-1)).mean().item()
    assert kl == pytest.approx(by_hand, rel=1e-5) and abs(kl - standard) > 0.1


@pytest.mark.parametrize("learn", [False, True])
def test_the_mixture_prior_is_learned_only_when_asked(learn):
    from minivae.data import load_dataset
    from minivae.train import fit
    data = load_dataset("mixture", n=1000)
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(32,), prior="mixture", prior_components=8, learn_prior=learn)
    before = [p.numpy().copy() for p in model.prior.parameters()]
    fit(model, data.train, epochs=3, batch_size=50, lr=1e-2, progress=False, log=lambda r: None)
    moved = [not np.array_equal(b, p.numpy()) for b, p in zip(before, model.prior.parameters())]
    assert all(moved) if learn else not any(moved)
    assert np.isfinite(model.sample(5)).all()


def test_the_slides_m_over_n_weighting():
    """'Variational Models' slide: m/n sum_batch recon + beta sum_batch KL, here divided by
    m; the same gradients as the beta-VAE with beta n/m, scaled by m/n."""
    x, m, n, beta = ring(16), 16, 1000, 0.5
    losses, grads = {}, {}
    for name, kwargs in (("slide", dict(beta=beta, recon_weight="m/n")), ("beta-vae", dict(beta=beta * n / m))):
        mv.manual_seed(0)
        model = VAE(2, 2, hidden=(8,), **kwargs)
        model.dataset_size = n
        mv.manual_seed(1)
        loss, _ = model.loss(x)
        model.zero_grad()
        loss.backward()
        losses[name], grads[name] = loss.item(), [p.grad.numpy().copy() for p in model.parameters()]
        mv.manual_seed(1)
        recon, kl = model.elbo_terms(model.as_input(x))
    np.testing.assert_allclose(losses["slide"], (m / n * recon.numpy().sum() + beta * kl.numpy().sum()) / m,
                               rtol=1e-5)
    for a, b in zip(grads["slide"], grads["beta-vae"]):
        np.testing.assert_allclose(a, b * m / n, rtol=1e-4, atol=1e-7)


@needs_shared
def test_on_mnist_the_slides_m_over_n_switches_the_code_off_where_aevbs_n_over_m_does_not():
    """What the slide's m/n means on binarized MNIST: with m = 100 of n = 10,000 digits it is
    the beta-VAE with beta n/m = 100, and the KL drives q(z|x) to the prior (no nats, no
    unit active). AEVB's N/M (Kingma and Welling, Algorithm 1) scales both terms, the
    reconstruction and the KL, and so leaves the ELBO's balance, beta 1: the code carries
    tens of nats. The slide reads N/M as a weight on one term."""
    from minivae.data import load_dataset
    from minivae.eval import active_units
    from minivae.train import fit
    x = load_dataset("binarized-mnist", SHARED).train[:10_000]
    kl, active = {}, {}
    for name, recon_weight, loss_scale in (("slide", "m/n", "example"), ("aevb", 1.0, "dataset")):
        mv.manual_seed(0)
        model = VAE(784, 16, hidden=(400,), activation="relu", likelihood="bernoulli", recon_weight=recon_weight)
        fit(model, x, epochs=2, batch_size=100, lr=1e-3, loss_scale=loss_scale, progress=False, log=lambda r: None)
        with mv.no_grad():
            kl[name] = float(model.elbo_terms(model.as_input(x[:2000]))[1].numpy().mean())
        active[name] = int(active_units(model, x[:2000])[0])
    assert kl["slide"] < 0.5 and active["slide"] == 0
    assert kl["aevb"] > 10 and active["aevb"] >= 5


def test_fit_tells_the_model_the_dataset_size():
    from minivae.train import fit
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(8,), recon_weight="m/n")
    with pytest.raises(ValueError, match="dataset_size"):
        model.loss(ring(8))
    fit(model, ring(300), epochs=1, batch_size=100, progress=False, log=lambda r: None)
    assert model.dataset_size == 300


@pytest.mark.parametrize("bad", [0, -1.0, "n/m", True])
def test_recon_weight_must_be_positive_or_m_over_n(bad):
    with pytest.raises(ValueError, match="recon_weight"):
        VAE(2, 2, recon_weight=bad)
