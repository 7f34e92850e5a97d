import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae.models import create
from minivae.philox import Philox
from minivae.train import fit
from training import halves


def _model(**kwargs):
    mv.manual_seed(1)
    return create("dr-vae", **{"x_dim": 256, "z_dim": 3, "channels": (4, 6), "classifier_channels": (3, 5),
                               "n_classes": 2, **kwargs})


def test_the_loss_adds_the_classifier_feature_error_to_the_negative_elbo():
    """Its gradient equals that of -ELBO + lam * sum_l gamma_l 0.5 ||C_l(x) - C_l(x~)||^2
    written out here, and differs from the plain VAE's (the feature term is not idle)."""
    model = _model(lam=0.7, layer_weights=[0.3, 2.0])
    x = halves(5)[0]
    params = model.encoder.parameters() + model.decoder.parameters()
    model.generator = Philox(seed=2)
    got = [g.numpy() for g in mv.grad(model.loss(x)[0], params)]

    def loss(lam):
        xt = mv.tensor(x)
        mu, logvar = model.encode(xt)
        z = mu + F.exp(logvar * 0.5) * mv.tensor(Philox(seed=2).normal(mu.shape))
        logits = model.decode(z)
        kl = ((F.exp(logvar) + mu * mu - 1.0 - logvar) * 0.5).sum(-1)
        error = sum(((a - b) * (a - b) * 0.5).sum(-1) * g for a, b, g in
                    zip(model.classifier.layers(xt), model.classifier.layers(F.sigmoid(logits)), [0.3, 2.0]))
        return (F.bce_with_logits(logits, xt, "none").sum(-1) + kl + lam * error).mean()
    for a, b in zip(got, mv.grad(loss(0.7), params)):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-6)
    assert not all(np.allclose(a, b.numpy(), rtol=0.05, atol=1e-4) for a, b in zip(got, mv.grad(loss(0.0), params)))


def test_each_layer_weighs_as_much_as_the_image_by_default():
    """gamma_l = D / d_l: 256 pixels against layers of 3 x 8 x 8 and 5 x 4 x 4 values."""
    model = _model()
    x = mv.tensor(halves(2)[0])
    assert [layer.shape[1] for layer in model.classifier.layers(x)] == [192, 80]
    assert model.layer_weights == pytest.approx([256 / 192, 256 / 80])
    assert _model(layer_weights="sum").layer_weights == [1.0, 1.0]
    for bad in ([1.0], [1.0, -1.0], "mean"):
        with pytest.raises(ValueError, match="layer_weights must be"):
            _model(layer_weights=bad)


def test_the_classifier_is_trained_first_saved_reused_and_frozen(tmp_path):
    x, y = halves(400)
    path = str(tmp_path / "classifier.npz")
    model = _model(classifier_file=path, classifier_epochs=2)
    fit(model, x, y, epochs=2, batch_size=50, lr=3e-3, progress=False, log=lambda r: None)
    trained = model.classifier.state_dict()
    with np.load(path) as saved:
        for k, v in trained.items():
            np.testing.assert_array_equal(saved[k], v)
    assert (model.classifier.predict(halves(100, seed=3)[0]) == halves(100, seed=3)[1]).mean() > 0.9
    again = _model(classifier_file=path)   # reused: loaded, not trained (no labels given)
    fit(again, x, None, epochs=1, batch_size=50, progress=False, log=lambda r: None)
    for k, v in again.classifier.state_dict().items():
        np.testing.assert_array_equal(v, trained[k])   # and the VAE's training left it alone
    with pytest.raises(ValueError, match="classifier trains on labels"):
        fit(_model(), x, None, epochs=1, progress=False, log=lambda r: None)

