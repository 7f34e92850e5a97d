import numpy as np
import pytest

from minivae import nn, optim


def test_rmsprop_matches_hand_computation():
    p = nn.Parameter(np.array([1.0, -2.0, 0.5]))
    opt = optim.RMSprop([p], lr=0.01, rho=0.9, eps=1e-8)
    ref, v = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for _ in range(4):
        opt.zero_grad()
        (p * p * p).sum().backward()    # g = 3 p^2
        opt.step()
        g = 3 * ref ** 2
        v = 0.9 * v + 0.1 * g * g
        ref = ref - 0.01 * g / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)


def test_rmsprop_steps_are_scale_free():
    """The first step is lr / sqrt(1 - rho) whatever the gradient's size: what makes it
    suit players whose gradients differ by orders of magnitude."""
    for scale in (1e-3, 1.0, 1e3):
        p = nn.Parameter(np.array([1.0]))
        opt = optim.RMSprop([p], lr=0.1, rho=0.9, eps=0.0)
        (p * scale).sum().backward()
        opt.step()
        np.testing.assert_allclose(p.numpy(), [1.0 - 0.1 / np.sqrt(0.1)], rtol=1e-12)


def test_rmsprop_refuses_a_bad_rho():
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\)"):
        optim.RMSprop([nn.Parameter(np.ones(1))], rho=1.0)
