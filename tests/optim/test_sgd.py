import numpy as np
import pytest

from minivae import nn, optim, tensor


def test_sgd_momentum_matches_hand_computation():
    p = nn.Parameter(np.array([1.0, -1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    ref, v = np.array([1.0, -1.0]), 0.0
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        v = 0.9 * v + 2 * ref
        ref = ref - 0.1 * v
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)


def test_optimizer_input_errors():
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        optim.Adam([nn.Parameter(np.ones(1))], lr=0)


def test_step_skips_parameters_without_grad():
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([p, q], lr=0.5)
    (p * tensor([1.0, 2.0], dtype=np.float64)).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.5, 0.0])
    np.testing.assert_allclose(q.numpy(), [1.0, 1.0])
