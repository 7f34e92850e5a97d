import numpy as np
from hypothesis import given
from scipy.special import expit

import minivae as mv
import minivae.functional as F
from strategies import arrays, check


def _away_from_zero(a):  # relu-like kinks have no derivative at 0
    return np.where(np.abs(a) < 1e-3, 0.5, a)


@given(arrays())
def test_tanh(a):
    check(F.tanh, np.tanh, a)


@given(arrays(low=-6, high=6))
def test_sigmoid(a):
    check(F.sigmoid, expit, a, rtol=1e-12)


@given(arrays())
def test_relu(a):
    check(F.relu, lambda x: np.maximum(x, 0), _away_from_zero(a))


@given(arrays())
def test_leaky_relu(a):
    check(lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), _away_from_zero(a))


@given(arrays(low=-5, high=5))
def test_softplus(a):
    check(F.softplus, lambda x: np.log1p(np.exp(x)), a, rtol=1e-12)


def test_sigmoid_softplus_extremes_float32():
    x = mv.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], requires_grad=True)
    s, sp = F.sigmoid(x), F.softplus(x)
    np.testing.assert_allclose(s.numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(sp.numpy(), [0, 0, np.log(2), 100, 1e4], rtol=1e-6, atol=1e-30)
    (s.sum() + sp.sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def _sigmoid_paths(x, dtype):
    """sigmoid(x) as F.sigmoid and as the dense layer's epilogue, on both kernel paths."""
    out = {"F.sigmoid": F.sigmoid(mv.tensor(x, dtype=dtype)).numpy()}
    eye = mv.tensor(np.eye(1, dtype=dtype))
    for mode in ("fast", "reference"):
        mv.set_kernels(mode)
        try:
            out[f"dense {mode}"] = F.dense(mv.tensor(x[:, None], dtype=dtype), eye, None, "sigmoid").numpy()[:, 0]
        finally:
            mv.set_kernels("fast")
    return out


def test_sigmoid_keeps_relative_precision_in_both_tails():
    """(1 + tanh(x/2)) / 2 gave float32 sigmoid(-17) = 5.96e-8 (true 4.14e-8) and
    sigmoid(-20) = 0; the exact form stays within a few ulp down to the subnormals."""
    for dtype, low, ulps in ((np.float32, -87.0, 4), (np.float64, -708.0, 4)):
        x = np.linspace(low, 40.0, 4001).astype(dtype)
        true = expit(x.astype(np.float64) if dtype == np.float32 else x.astype(np.longdouble))
        for name, y in _sigmoid_paths(x, dtype).items():
            assert y.dtype == dtype
            err = np.abs(y - true) / np.spacing(true.astype(dtype))
            assert err.max() <= ulps, (name, dtype, x[err.argmax()], err.max())
    assert np.isfinite(np.log(F.sigmoid(mv.tensor([-20.0])).numpy())).all()


def test_softplus_gradient_is_exact_in_the_left_tail():
    x = mv.tensor([-30.0, -17.0], requires_grad=True)
    F.softplus(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expit(np.array([-30.0, -17.0])), rtol=1e-6)


def test_one_table_serves_dense_conv_and_the_modules():
    """Every name in ops.ACTIVATIONS means the same function in a dense layer, a convolution
    and an ``nn.Activation``, whether a kernel fuses it (FUSED) or it follows the product."""
    import pytest
    from minivae import nn, ops
    rng = np.random.default_rng(0)
    x, W, b = (mv.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((5, 3), (3, 4), (4,)))
    images, w = (mv.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((2, 3, 6, 6), (4, 3, 3, 3)))
    assert ops.activation.FUSED < set(ops.ACTIVATIONS)   # softplus has no kernel of its own
    for name in ops.ACTIVATIONS:
        want = ops.activate(x @ W + b, name, 0.2).numpy()
        np.testing.assert_allclose(ops.dense(x, W, b, name, 0.2).numpy(), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ops.conv2d(images, w, b, activation=name, slope=0.2).numpy(),
                                   ops.activate(ops.conv2d(images, w, b), name, 0.2).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(nn.Activation(name, 0.2)(x).numpy(), ops.activate(x, name, 0.2).numpy())
    assert not np.allclose(ops.dense(x, W, b, "softplus").numpy(), (x @ W + b).numpy())
    for bad in (lambda: ops.dense(x, W, b, "swish"), lambda: ops.conv2d(images, w, activation="swish"),
                lambda: nn.Activation("swish"), lambda: nn.Linear(3, 4, activation="swish")):
        with pytest.raises(ValueError, match="unknown activation 'swish'"):
            bad()
