import numpy as np
import pytest

import minivae as mv
from minivae.backend import Generator
from minivae.data import ring
from minivae.models import create
from minivae.train import fit


def test_maximizing_the_naive_estimate_finds_the_datas_alpha():
    mv.manual_seed(0)
    model = create("naive-mc", x_dim=2, alpha=2.0)
    fit(model, ring(2000), epochs=5, batch_size=100, lr=0.05, progress=False, log=lambda r: None)
    assert model.alpha.numpy()[0] == pytest.approx(0.5, abs=0.06)


def test_the_estimate_is_unbiased_but_its_noise_falls_only_with_the_samples():
    """p(x) at a point of the ring, estimated again and again: the mean does not depend on
    N_s, the relative spread falls as 1 / sqrt(N_s) (tenfold from 100 to 10000 samples)."""
    model = create("naive-mc", x_dim=2, alpha=0.5, generator=Generator(1))
    point = np.array([[1.5, 0.0]], np.float32)
    small = np.array([model.density(point, 100)[0] for _ in range(400)])
    large = np.array([model.density(point, 10000)[0] for _ in range(40)])
    assert small.mean() == pytest.approx(large.mean(), abs=4 * np.hypot(small.std() / 20, large.std() / np.sqrt(40)))
    ratio = (small.std() / small.mean()) / (large.std() / large.mean())
    assert 5 < ratio < 20
    with pytest.raises(ValueError, match="2-D"):
        create("naive-mc", x_dim=3)
