import numpy as np
import pytest

import minivae as mv
from minivae.models import create
from minivae.train import fit
from training import halves


def test_it_learns_to_classify_and_its_layers_are_the_convolutions():
    x, y = halves(600)
    mv.manual_seed(0)
    model = create("classifier", x_dim=256, n_classes=2, channels=(4, 8))
    fit(model, x, y, epochs=3, batch_size=50, lr=3e-3, progress=False, log=lambda r: None)
    xv, yv = halves(200, seed=1)
    assert (model.predict(xv) == yv).mean() > 0.95
    layers = model.layers(mv.tensor(xv[:3]))
    assert [a.shape for a in layers] == [(3, 4 * 8 * 8), (3, 8 * 4 * 4)]
    np.testing.assert_allclose(layers[-1].numpy(), model.features(mv.tensor(xv[:3])).numpy())


def test_labels_are_checked():
    model = create("classifier", x_dim=256, n_classes=2)
    with pytest.raises(ValueError, match="needs labels"):
        model.loss(np.zeros((2, 256)))
    with pytest.raises(ValueError, match=r"integer labels in \[0, 2\)"):
        model.loss(np.zeros((2, 256)), np.array([0, 2]))


def test_an_mlp_classifier_starts_from_an_autoencoders_encoder():
    """Pre-training, then fine-tuning: before any labelled step its features are the
    autoencoder's codes; an encoder of another shape is refused."""
    mv.manual_seed(0)
    ae = create("ae", x_dim=12, z_dim=3, hidden=[5])
    clf = create("mlp-classifier", x_dim=12, n_classes=4, z_dim=3, hidden=[5]).start_from(ae)
    x = np.random.default_rng(0).standard_normal((6, 12)).astype(np.float32)
    with mv.no_grad():
        np.testing.assert_array_equal(clf.encoder(mv.tensor(x)).numpy(), ae.encode(mv.tensor(x)).numpy())
        logits = clf.logits(mv.tensor(x)).numpy()
    y = np.array([0, 1, 2, 3, 0, 1])
    nll = -(logits - np.log(np.exp(logits).sum(1, keepdims=True)))[np.arange(6), y].mean()
    np.testing.assert_allclose(clf.loss(x, y)[0].item(), nll, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(x), logits.argmax(1))
    with pytest.raises(ValueError, match="not an MLP of sizes 12 -> ... -> 3"):
        clf.start_from(create("ae", x_dim=12, z_dim=3, hidden=[6]))
