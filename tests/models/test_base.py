"""What every model shares (models/base.py), held for every registered model."""
import numpy as np
import pytest

import minivae as mv
from minivae import backend
from minivae.core import no_grad
from minivae.models import MODELS, create, options


def _model(name, seed=1):
    kwargs = {"x_dim": 2} if name == "naive-mc" else {"x_dim": 784}
    if "n_classes" in options(name) and name != "aae":   # an AAE with labels needs a prior of classes
        kwargs["n_classes"] = 3
    if "hidden" in options(name) and name not in ("iwae",):
        kwargs["hidden"] = (8,)
    mv.manual_seed(0)
    return create(name, generator=backend.Generator(seed), **kwargs)


def _batch(model):
    rng = np.random.default_rng(0)
    x = (rng.random((6, model.x_dim)) > 0.5).astype(np.float32)
    y = np.arange(6) % 3 if model.labels else None
    return x, y


def _drawn(model, what):
    """``what(model)`` after the model's generator is seeded to 7, with the device's default
    generator seeded differently each time: equal results mean the model draws from its own."""
    out = []
    for default_seed in (11, 12):
        mv.manual_seed(default_seed)
        model.generator.seed(7)
        out.append(what(model))
    model.generator.seed(8)
    out.append(what(model))
    return out


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_draws_its_noise_from_the_generator_it_is_given(name):
    """Samples, and the noise of a training loss (posterior draws, masks, corruption, a GAN's
    codes): the same when the model's generator starts the same, whatever the default one
    does, and different when it starts elsewhere."""
    model = _model(name)
    x, y = _batch(model)
    with no_grad():
        losses = _drawn(model, lambda m: sum(float(v.item()) for v in m.losses(x, y).values() if hasattr(v, "item")))
    if name not in ("classifier", "mlp-classifier", "linear-ae", "ae", "sparse-ae", "contractive-ae", "conv-ae",
                    "linear-gaussian"):   # losses without noise
        assert losses[0] == losses[1] != losses[2], losses
    else:
        assert losses[0] == losses[1] == losses[2], losses
    if model.generative and name != "hole-filling-cvae":
        y_sample = np.arange(4) % 3 if model.labels == "required" else None
        samples = _drawn(model, lambda m: m.sample(4, y_sample) if y_sample is not None else m.sample(4))
        np.testing.assert_array_equal(samples[0], samples[1])
        assert not np.array_equal(samples[0], samples[2])


def test_class_labels_are_checked_once_for_every_model_that_takes_them():
    """The CVAE's condition, the classifier's targets and the AAE's decoder labels go through
    Model.class_labels: one message for a missing, misshapen or out-of-range label."""
    for name, call in (("cvae", lambda m, y: m.condition(y, 3)),
                       ("classifier", lambda m, y: m.loss(np.zeros((3, 784), np.float32), y))):
        model = _model(name)
        for y, says in ((None, "needs labels y"), (np.array([0, 1]), "must hold 3 labels"),
                        (np.array([0, 1, 3]), r"integer labels in \[0, 3\), got int64 values from 0 to 3"),
                        (np.array([0.0, 1.0, 2.0]), r"integer labels in \[0, 3\)")):
            with pytest.raises(ValueError, match=says):
                call(model, y)
        np.testing.assert_array_equal(model.class_labels(mv.tensor(np.array([2, 0, 1])).data, 3), [2, 0, 1])
