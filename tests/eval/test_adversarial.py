import numpy as np
import pytest

import minivae as mv
from minivae.eval.adversarial import moved_by, reconstruction_attack
from minivae.models import create


def test_on_a_linear_autoencoder_the_attack_finds_the_top_singular_direction():
    """r(x) = W W^T x + c moves by W W^T delta: the furthest a delta of length epsilon can
    move it is epsilon times the top singular value of W W^T, along its top singular vector."""
    mv.manual_seed(0)
    model = create("linear-ae", x_dim=6, z_dim=2)
    w = model.W.numpy().astype(np.float64)
    top = np.linalg.svd(w @ w.T, compute_uv=False)[0]
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    delta, moved = reconstruction_attack(model, x, 0.2, steps=30)
    assert np.all(np.linalg.norm(delta, axis=1) <= 0.2 + 1e-6)
    np.testing.assert_allclose(moved, 0.2 * top, rtol=1e-3)
    np.testing.assert_allclose(moved_by(model, x, delta), np.linalg.norm(delta @ (w @ w.T), axis=1), rtol=1e-4)


def test_epsilon_must_be_positive():
    mv.manual_seed(0)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        reconstruction_attack(create("ae", x_dim=4, z_dim=2), np.zeros((1, 4), np.float32), 0.0)
