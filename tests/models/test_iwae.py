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
