import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae import nn, optim


def test_mlp_layers():
    net = nn.MLP([4, 8, 8, 2], activation="tanh", out_activation="sigmoid", dropout=0.1)
    assert [type(m).__name__ for m in net] == ["Linear", "Dropout", "Linear", "Dropout", "Linear"]
    assert [m.activation for m in net if isinstance(m, nn.Linear)] == ["tanh", "tanh", "sigmoid"]
    net = nn.MLP([4, 8, 2], activation="softplus", batchnorm=True)   # the norm between product and activation
    assert [getattr(m, "name", type(m).__name__) for m in net] == ["Linear", "BatchNorm1d", "softplus", "Linear"]
    assert net[0].activation == net[3].activation == "identity"


def test_mlp_bad_sizes_and_activation():
    with pytest.raises(ValueError, match="at least two positive integers"):
        nn.MLP([4])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([4, 2], activation="swish")


def test_mlp_learns_xor():
    mv.manual_seed(0)
    x = mv.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = mv.tensor([[0], [1], [1], [0]])
    net = nn.MLP([2, 16, 1], activation="tanh")
    opt = optim.Adam(net.parameters(), lr=0.05)
    for _ in range(300):
        loss = F.bce_with_logits(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.01
    np.testing.assert_array_equal(net(x).numpy() > 0, y.numpy() > 0.5)


def test_mlp_fits_a_regression():
    mv.manual_seed(1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (256, 1)).astype(np.float32)
    y = np.sin(2 * x)
    net = nn.MLP([1, 32, 32, 1], activation="tanh")
    opt = optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(400):
        loss = F.mse(net(mv.tensor(x)), mv.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 5e-3   # the variance of sin(2x) here is about 0.5
