import numpy as np
import pytest

import minivae as mv
from minivae import nn
from minivae.testing import gradcheck


def test_linear_computes_xw_plus_b():
    layer = nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(mv.tensor(x)).numpy(),
                               x @ layer.weight.numpy() + layer.bias.numpy(), rtol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_gradients():
    layer = nn.Linear(3, 2)
    w, b = layer.weight.numpy(), layer.bias.numpy()

    def f(x, w_, b_):
        layer.weight, layer.bias = nn.Parameter(w_.data), nn.Parameter(b_.data)
        return x @ w_ + b_

    assert gradcheck(f, np.ones((4, 3)), w, b)


def test_linear_wrong_width():
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): input has 5 features \(shape \(4, 5\)\)"):
        nn.Linear(3, 2)(mv.tensor(np.ones((4, 5))))
