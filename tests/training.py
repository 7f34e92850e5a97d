"""A small training loop for the model tests: each step updates the model's players in turn,
recomputing the losses after each update (alternating, as GANs are trained)."""
import numpy as np

import minivae as mv


def train(model, x, y=None, steps=300, lr=1e-2, batch=64, seed=0, every=None, call=None):
    """``call(model)`` after every ``every`` steps, where given."""
    rng = np.random.default_rng(seed)
    opts = {name: mv.optim.Adam(params, lr=lr) for name, params in model.players().items()}
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(x), batch)
        xb, yb = x[idx], (None if y is None else y[idx])
        for name, opt in opts.items():
            loss = model.losses(xb, yb, player=name)[name]
            model.zero_grad()
            loss.backward()
            opt.step()
        if every and step % every == 0:
            call(model)
    return model


def mean_loss(model, x, y=None, repeats=5):
    with mv.no_grad():
        return float(np.mean([model.loss(x, y)[0].item() for _ in range(repeats)]))


def halves(n, seed=0):
    """16 x 16 images lit on the left (class 0) or the right (class 1) half, under noise:
    labelled data a small classifier learns in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.random((n, 16, 16)) * 0.5
    for i, label in enumerate(y):
        x[i, :, 8 * label:8 * label + 8] += 0.5
    return x.reshape(n, 256).astype(np.float32), y
