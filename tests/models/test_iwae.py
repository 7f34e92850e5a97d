import numpy as np
import pytest
from scipy.stats import multivariate_normal

import minivae as mv
from minivae.data import ring
from minivae.models import IWAE, VAE
from training import mean_loss, train


def _linear_gaussian_model(seed=0):
    """Decoder x = W z + b + 0.5 noise with a linear encoder that is close to, but not, the
    true posterior: every bound is then strictly below log p(x)."""
    rng = np.random.default_rng(seed)
    model = IWAE(3, z_dims=(2,), hidden=((),), likelihood="gaussian", sigma=0.5)
    W, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    dec, enc = model.p[0][0], model.q[0][0]
    dec.weight.data, dec.bias.data = W.astype(np.float32), b.astype(np.float32)
    enc.weight.data = (0.4 * rng.standard_normal((3, 4))).astype(np.float32)
    enc.bias.data = np.array([0.1, -0.2, -1.0, -1.2], np.float32)   # logvar near -1
    exact = multivariate_normal(b, W.T @ W + 0.25 * np.eye(3))
    return model, exact


def test_bounds_are_ordered_and_approach_log_likelihood():
    """ELBO = L_1 <= L_5 <= L_50 <= log p(x), E[L_k] non-decreasing in k (Burda et al.,
    Theorem 1), and L_k -> log p(x) as k grows, for a model whose log p(x) is exact."""
    mv.manual_seed(0)
    model, exact = _linear_gaussian_model()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    log_px = exact.logpdf(x)
    with mv.no_grad():
        xs = np.repeat(x, 400, axis=0)   # 400 independent estimates per point
        est = {k: model.bound(mv.tensor(xs), k).numpy().reshape(4, 400).astype(np.float64) for k in (1, 5, 50)}
        est[2000] = model.bound(mv.tensor(np.repeat(x, 20, axis=0)), 2000).numpy().reshape(4, 20)
    mean = {k: v.mean(1) for k, v in est.items()}
    se = {k: v.std(1) / np.sqrt(v.shape[1]) for k, v in est.items()}
    for a, b in ((1, 5), (5, 50), (50, 2000)):
        assert np.all(mean[a] <= mean[b] + 4 * np.hypot(se[a], se[b])), (a, b, mean[a], mean[b])
    assert np.all(mean[50] <= log_px + 4 * se[50])
    assert np.all(mean[1] < log_px - 0.05)                     # the ELBO's gap is real here
    gap = log_px - np.stack([mean[1], mean[5], mean[50], mean[2000]])
    assert np.all(np.diff(gap, axis=0) < 1e-2)                  # the gap closes as k grows
    assert np.all(gap[-1] < 0.1) and np.all(gap[-1] < 0.25 * gap[0])


def test_iwae_with_one_sample_is_the_vae_on_the_same_noise():
    mv.manual_seed(0)
    vae = VAE(6, 2, hidden=(8,), likelihood="bernoulli", kl="sample")
    iwae = IWAE(6, z_dims=(2,), hidden=((8,),), k=1, likelihood="bernoulli")
    iwae.q[0].load_state_dict(vae.encoder.state_dict())
    iwae.p[0].load_state_dict(vae.decoder.state_dict())
    x = mv.tensor((np.random.default_rng(0).random((16, 6)) < 0.4).astype(np.float32))
    eps = np.random.default_rng(1).standard_normal((16, 2)).astype(np.float32)
    recon, kl = vae.elbo_terms(x, eps=eps[None])
    logw, _ = iwae.log_weights(x, k=1, eps=[eps])
    np.testing.assert_allclose((recon + kl).numpy(), -mv.functional.iwae_bound(logw)[0].numpy(), rtol=1e-5)


def test_iwae_one_and_two_layers_learn_the_ring():
    x = ring(2000)
    for model in (IWAE(2, z_dims=(2,), hidden=((32, 32),), k=5, likelihood="gaussian"),
                  IWAE(2, z_dims=(4, 2), hidden=((32,), (16,)), k=5, likelihood="gaussian")):
        mv.manual_seed(0)
        before = mean_loss(model, x)
        train(model, x, steps=300, lr=3e-3)
        assert mean_loss(model, x) < before - 0.1


def test_two_layer_architecture_of_the_paper():
    model = IWAE.two_layer(784)
    shapes = [p.shape for p in model.q[0].parameters()] + [p.shape for p in model.q[1].parameters()]
    assert shapes[0] == (784, 200) and shapes[-2] == (100, 100) and shapes[-1] == (100,)
    assert model.z_dims == [100, 50]


def test_sir_reconstructions_pick_among_the_drawn_codes():
    mv.manual_seed(0)
    model = IWAE(2, z_dims=(2,), hidden=((16,),), k=7, likelihood="gaussian")
    x = ring(5)
    out = model.sir_reconstruct(x)
    assert out.shape == (5, 2) and np.all(np.isfinite(out))


@pytest.mark.parametrize("favourite", [0, 3, 6])
def test_sir_picks_codes_by_their_importance_weights(favourite):
    """When one drawn code holds all the importance weight, every resampled reconstruction
    decodes that code (a uniform pick would choose it one time in k)."""
    mv.manual_seed(1)
    model = IWAE(2, z_dims=(2,), hidden=((16,),), k=7, likelihood="gaussian")
    x = ring(40)
    real = model.log_weights
    drawn = {}

    def rigged(x, k=None, y=None, eps=None):
        logw, h1 = real(x, k, y, eps)
        drawn["h1"] = h1.numpy().reshape(k, x.shape[0], -1)
        weights = np.full(logw.shape, -1e4, np.float32)
        weights[:, favourite] = 0.0
        return mv.tensor(weights), h1
    model.log_weights = rigged
    out = model.sir_reconstruct(x)
    with mv.no_grad():
        want = model.data_mean(model.p[0](mv.tensor(drawn["h1"][favourite]))).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("z_dims, hidden", [((3,), ((8,),)), ((4, 3), ((8,), (6,)))])
def test_log_weights_are_the_densities_of_the_drawn_codes(z_dims, hidden, monkeypatch):
    """log w, from the networks by hand in NumPy: every input replicated k times, each
    layer's log q and log p from its Gaussian's formula, the top's prior N(0, I); and the
    encoder sees each input once, not k times."""
    mv.manual_seed(0)
    n, k = 6, 4
    model = IWAE(5, z_dims=z_dims, hidden=hidden, k=k, likelihood="bernoulli")
    x = (np.random.default_rng(0).random((n, 5)) < 0.5).astype(np.float32)
    rng = np.random.default_rng(1)
    eps = [rng.standard_normal((k * n, d)).astype(np.float32) for d in z_dims]   # sample-major rows
    seen, encode = [], model.q[0].forward
    monkeypatch.setattr(model.q[0], "forward", lambda h: seen.append(h.shape) or encode(h))
    logw, h1 = model.log_weights(mv.tensor(x), k, eps=eps)
    assert seen == [(n, 5)]

    def net(m, a):
        with mv.no_grad():
            return m(mv.tensor(a.astype(np.float32))).numpy().astype(np.float64)

    def log_normal(v, mu, lv):
        return -0.5 * ((v - mu) ** 2 / np.exp(lv) + lv + np.log(2 * np.pi)).sum(-1)

    xk = np.tile(x, (k, 1)).astype(np.float64)
    h, want, codes = xk, 0.0, []
    for l, d in enumerate(z_dims):
        s = net(model.q[l], h)
        mu, lv = s[:, :d], s[:, d:]
        h = mu + np.exp(lv / 2) * eps[l]
        want = want - log_normal(h, mu, lv)
        codes.append(h)
    want = want - 0.5 * (codes[-1] ** 2 + np.log(2 * np.pi)).sum(-1)
    for l in range(1, len(z_dims)):
        s = net(model.p[l], codes[l])
        d = z_dims[l - 1]
        want = want + log_normal(codes[l - 1], s[:, :d], s[:, d:])
    logits = net(model.p[0], codes[0])
    want = want + (xk * logits - np.logaddexp(0, logits)).sum(-1)
    np.testing.assert_allclose(logw.numpy(), want.reshape(k, n).T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(h1.numpy(), codes[0], rtol=1e-5, atol=1e-5)
