import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.models.clustering_aae import clustering_accuracy
from minivae.train import fit


def test_clustering_accuracy_matches_clusters_to_classes_one_to_one():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert clustering_accuracy(np.array([2, 2, 0, 0, 1, 1]), labels) == 1.0     # any relabelling
    assert clustering_accuracy(np.array([0, 0, 0, 0, 0, 0]), labels) == pytest.approx(1 / 3)
    assert clustering_accuracy(np.array([1, 0, 1, 0, 2, 2]), labels) == pytest.approx(4 / 6)


def test_it_finds_the_clusters_of_the_mixture_toy():
    """Ten Gaussian clusters, no labels: argmax of the categorical head agrees with the true
    cluster for well over a third of the points (chance, matched: about 0.12)."""
    data = load_dataset("mixture", n=4000)
    mv.manual_seed(0)
    model = create("clustering-aae", x_dim=2, n_clusters=10, z_dim=2, hidden=[64, 64])
    assert set(model.players()) == {"autoencoder", "discriminator", "generator"}
    fit(model, data.train, epochs=30, batch_size=100, lr=1e-3, progress=False, log=lambda r: None)
    assert clustering_accuracy(model.cluster(data.valid), data.y_valid) > 0.35
    shuffled = np.random.default_rng(0).permutation(data.y_valid)
    assert clustering_accuracy(model.cluster(data.valid), shuffled) < 0.2
    assert model.sample(6, 3).shape == (6, 2)
