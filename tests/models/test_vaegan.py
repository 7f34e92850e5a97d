import numpy as np

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
