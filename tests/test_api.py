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
