"""The image models' training in rounds: each round continues the last on the next chunk of
the data (bench/image_quality.py once stopped at its second round, refused as other data)."""
import numpy as np

from minivae import image_models


def test_rounds_continue_on_the_next_chunks(monkeypatch):
    monkeypatch.setattr(image_models, "CHUNK", 100)
    x = (np.random.default_rng(0).random((250, 784)) < 0.2).astype(np.float32)
    _, model, training = image_models.build("vae", seed=0, hidden=[16])
    first = {k: v.copy() for k, v in model.state_dict().items()}
    seen, _, record = image_models.train(model, x, training, seed=0, images=300)
    assert seen == 300 and record["epoch"] == 3
    assert any(not np.array_equal(first[k], v) for k, v in model.state_dict().items())
