import numpy as np
import pytest

import minivae
from minivae.data import load_dataset

DATA = load_dataset("ring", n=8000)


def test_fit_transform_sample_score_save_load(tmp_path):
    model = minivae.VAE(latent_dim=2, epochs=20, lr=3e-3, batch_size=50, hidden=[64, 64]).fit(DATA.train)
    codes = model.transform(DATA.valid)
    assert codes.shape == (len(DATA.valid), 2)
    assert abs(codes.mean()) < 0.5 and 0.2 < codes.std() < 2.0          # near the prior
    samples = model.sample(500)
    assert samples.shape == (500, 2) and np.isfinite(samples).all()
    score = model.score(DATA.valid, k=50)
    untrained = minivae.VAE(latent_dim=2, epochs=1, hidden=[64, 64], lr=1e-6).fit(DATA.train[:100])
    assert score > untrained.score(DATA.valid, k=50) + 0.2   # measured: -2.81 against -3.20
    path = model.save(str(tmp_path / "vae.npz"))
    again = minivae.load(path)
    np.testing.assert_array_equal(again.transform(DATA.valid[:10]), model.transform(DATA.valid[:10]))


def test_iwae_estimator_scores_above_its_elbo():
    model = minivae.IWAE(latent_dim=2, k=5, epochs=2, hidden=[[32]]).fit(DATA.train)
    assert model.score(DATA.valid[:300], k=100) > model.score(DATA.valid[:300], k=1)


def test_estimator_errors():
    est = minivae.VAE()
    with pytest.raises(ValueError, match="call fit first"):
        est.sample(3)
    with pytest.raises(ValueError, match="2-D numeric array"):
        est.fit(np.ones(5))
    with pytest.raises(ValueError, match="NaN or infinite"):
        est.fit(np.full((4, 2), np.inf))
    fitted = minivae.VAE(epochs=1).fit(DATA.train[:200])
    with pytest.raises(ValueError, match="has 3 features; the model was fit on 2"):
        fitted.transform(np.ones((2, 3)))


def _binary_data(n=300, d=12):
    rng = np.random.default_rng(0)
    return (rng.random((n, d)) < np.linspace(0.1, 0.9, d)).astype(np.float32)


def test_load_returns_the_class_that_was_saved(tmp_path):
    X = _binary_data()
    for est in (minivae.IWAE(latent_dim=2, k=3, epochs=1), minivae.BetaVAE(latent_dim=2, beta=2.0, epochs=1)):
        est.fit(X)
        again = minivae.load(est.save(str(tmp_path / "e.npz")))
        assert type(again) is type(est) and again.params_ == est.params_
        np.testing.assert_array_equal(again.transform(X[:5]), est.transform(X[:5]))


def test_verbose_fit_prints_each_epoch(capsys):
    minivae.VAE(latent_dim=2, epochs=2, verbose=True).fit(_binary_data())
    assert len([l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch ")]) == 2
    minivae.VAE(latent_dim=2, epochs=2).fit(_binary_data())
    assert capsys.readouterr().out == ""


def test_sample_draws_or_means_and_score_is_repeatable():
    X = _binary_data()
    est = minivae.VAE(latent_dim=2, epochs=3).fit(X)
    means = est.sample(200, seed=1)
    draws = est.sample(200, mean=False, seed=1)
    assert ((means > 0) & (means < 1)).all() and set(np.unique(draws)) == {0.0, 1.0}
    assert abs(draws.mean() - means.mean()) < 0.05            # draws follow the means
    np.testing.assert_array_equal(est.sample(50, seed=1), means[:50])
    assert est.score(X[:50], k=20) == est.score(X[:50], k=20)
    assert est.score(X[:50], k=20, seed=1) != est.score(X[:50], k=20, seed=2)


@pytest.mark.skipif(minivae.cuda_available(), reason="checks the refusal where no GPU is")
def test_an_unavailable_device_is_a_value_error():
    with pytest.raises(ValueError, match="device 'cuda' needs CuPy and a GPU"):
        minivae.VAE(latent_dim=2, epochs=1, device="cuda").fit(_binary_data())


@pytest.mark.cuda
@pytest.mark.skipif(not minivae.cuda_available(), reason="needs CuPy and a GPU")
def test_estimator_on_the_gpu_matches_the_cpu(tmp_path):
    X = _binary_data()
    cpu = minivae.VAE(latent_dim=2, epochs=2).fit(X)
    gpu = minivae.VAE(latent_dim=2, epochs=2, device="cuda").fit(X)
    np.testing.assert_allclose(gpu.transform(X[:20]), cpu.transform(X[:20]), rtol=1e-3, atol=1e-4)
    assert abs(gpu.score(X[:50], k=20) - cpu.score(X[:50], k=20)) < 1e-2
    again = minivae.load(gpu.save(str(tmp_path / "g.npz")))      # a GPU model loads on the CPU
    np.testing.assert_allclose(again.transform(X[:20]), gpu.transform(X[:20]), rtol=1e-4, atol=1e-5)
