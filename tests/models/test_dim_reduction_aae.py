import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import DimensionReductionAAE


def test_the_representation_is_the_cluster_head_plus_the_style_and_the_penalty_is_the_hinge():
    mv.manual_seed(0)
    model = DimensionReductionAAE(6, n_clusters=3, z_dim=2, eta=2.0, hidden=(8,))
    heads = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]], np.float32)
    model.cluster_heads.data = heads
    cat, z = mv.tensor([[0.2, 0.5, 0.3]]), mv.tensor([[0.1, -0.4]])
    np.testing.assert_allclose(model.representation(cat, z).numpy(), [[0.6, 0.5]], rtol=1e-6)
    # pairs: |h0 - h1| = 1 (costs 1), |h0 - h2| = 3 and |h1 - h2| = sqrt(10) (nothing)
    np.testing.assert_allclose(model.head_penalty().item(), 1.0, rtol=1e-5)


def test_the_penalty_pushes_the_heads_eta_apart_and_without_it_they_stay_close():
    from training import train
    x = load_dataset("mixture", n=1000).train
    spread = {}
    for weight in (1.0, 0.0):
        mv.manual_seed(0)
        model = DimensionReductionAAE(2, n_clusters=4, z_dim=2, eta=2.0, head_weight=weight, hidden=(32,))
        model.cluster_heads.data = model.cluster_heads.data * 0.1
        train(model, x, steps=150, lr=1e-2)
        h = model.cluster_heads.numpy()
        spread[weight] = min(np.linalg.norm(h[i] - h[j]) for i in range(4) for j in range(i + 1, 4))
    assert spread[1.0] > 0.9 * 2.0 and spread[0.0] < 0.25 * 2.0, spread


def test_eta_must_be_positive():
    with pytest.raises(ValueError, match="eta must be positive"):
        DimensionReductionAAE(4, eta=0.0)
