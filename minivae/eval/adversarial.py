"""Adversarial examples for an autoencoder, the Diabolo lecture's consequence of codes with
"no reasonable structure": a small move of the input, chosen against the model, that moves
its reconstruction far. Found by projected gradient ascent on

    || r(x + delta) - r(x) ||^2   subject to   ||delta||_2 <= epsilon   (per input),

r(x) = decode(code(x)) the reconstruction's mean (a VAE's through its posterior mean). The
ascent starts from a random direction of length epsilon / 2 (at delta = 0 the gradient of a
squared distance is zero) and takes steps of epsilon / 4 along the normalized gradient.
"""
import numpy as np

from .. import backend
from ..core import enable_grad, grad, no_grad
from ..ops import Tensor


def reconstruct_mean(model, x):
    return model.data_mean(model.decode(model.code(x)))


def reconstruction_attack(model, x, epsilon, steps=20, seed=0):
    """(delta, moved): the perturbations (len(x), x_dim), each of length at most epsilon,
    and how far each moved its reconstruction, ||r(x + delta) - r(x)||_2."""
    if not epsilon > 0:
        raise ValueError(f"reconstruction_attack: epsilon must be positive, got {epsilon}")
    x = np.asarray(x, np.float32)
    with no_grad():
        clean = reconstruct_mean(model, model.as_input(x)).data
    rng = np.random.default_rng(seed)
    delta = _onto_ball(rng.standard_normal(x.shape).astype(np.float32), epsilon / 2)
    for _ in range(steps):
        with enable_grad():
            moved = Tensor(model.as_input(x + delta).data, requires_grad=True)
            r = reconstruct_mean(model, moved)
            (g,) = grad(((r - model.constant(clean)) ** 2).sum(), moved)
        g = np.asarray(backend.to_device(g.data, "cpu"))
        g /= np.linalg.norm(g, axis=1, keepdims=True) + 1e-12
        delta = _onto_ball(delta + g * (epsilon / 4), epsilon)
    return delta, moved_by(model, x, delta)


def moved_by(model, x, delta):
    """||r(x + delta) - r(x)||_2 for each input."""
    with no_grad():
        clean = backend.to_device(reconstruct_mean(model, model.as_input(x)).data, "cpu")
        moved = backend.to_device(reconstruct_mean(model, model.as_input(np.asarray(x + delta, np.float32))).data,
                                  "cpu")
    return np.linalg.norm(np.asarray(moved) - np.asarray(clean), axis=1)


def _onto_ball(delta, radius):
    norm = np.linalg.norm(delta, axis=1, keepdims=True)
    return (delta * np.minimum(1.0, radius / np.maximum(norm, 1e-12))).astype(np.float32)
