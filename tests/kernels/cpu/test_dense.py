import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
from minivae.kernels.cpu.dense import column_sums
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import TOL, assert_paths_agree, both_paths, dtypes, matrices

activations = st.sampled_from(["identity", "relu", "tanh", "sigmoid", "leaky_relu"])
sizes = st.integers(1, 9)


@given(sizes, sizes, sizes, activations, st.sampled_from([0.1, 0.0, -0.5, 2.0]), dtypes, st.data())
def test_dense_kernel_matches_reference(n, k, m, act, slope, dtype, data):
    x = data.draw(matrices(n, k, dtype))
    W = data.draw(matrices(k, m, dtype))
    b = data.draw(matrices(1, m, dtype))[0]
    results = both_paths(lambda x, W, b: F.dense(x, W, b, act, slope), x, W, b)
    assert_paths_agree(results, **TOL[dtype])


@given(st.sampled_from([(128, 784, 400), (33, 400, 40), (1, 20, 400)]), activations)
def test_dense_kernel_at_vae_sizes(shape, act):
    n, k, m = shape
    rng = np.random.default_rng(0)
    x, W, b = (rng.standard_normal(s).astype(np.float32) for s in ((n, k), (k, m), (m,)))
    W /= np.sqrt(k)
    assert_paths_agree(both_paths(lambda x, W, b: F.dense(x, W, b, act), x, W, b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["identity", "relu", "tanh", "sigmoid", "leaky_relu"])
def test_dense_fast_path_gradients(act):
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    f = lambda x, W, b: F.dense(x, W, b, act, 0.2)
    assert gradcheck(f, x, W, b)
    assert gradgradcheck(f, x, W, b)   # through the reference, as the Fused contract says


def test_dense_batched_input_and_missing_bias():
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    y = F.dense(mv.tensor(x, dtype=np.float64), mv.tensor(W, dtype=np.float64), activation="tanh")
    np.testing.assert_allclose(y.numpy(), np.tanh(x @ W), rtol=1e-12)


def test_dense_bad_shapes_and_activation():
    x, W = mv.tensor(np.ones((2, 3))), mv.tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"dense: shapes x \(2, 3\), W \(4, 5\)"):
        F.dense(x, W)
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        F.dense(x, mv.tensor(np.ones((3, 5))), activation="gelu")


def test_leaky_relu_with_a_negative_slope():
    """y = slope * v for v < 0 is positive when the slope is negative, so the sign of y no
    longer tells the side of the kink: at v = -1 with slope -0.5, dy/dv = -0.5 (PyTorch)."""
    for mode in ("fast", "reference"):
        mv.set_kernels(mode)
        try:
            x = mv.tensor([[-1.0, 2.0]], requires_grad=True)
            y = F.dense(x, mv.tensor(np.eye(2, dtype=np.float32)), None, "leaky_relu", -0.5)
            np.testing.assert_array_equal(y.numpy(), [[0.5, 2.0]])
            y.sum().backward()
            np.testing.assert_array_equal(x.grad.numpy(), [[-0.5, 1.0]])
        finally:
            mv.set_kernels("fast")


@given(st.integers(1, 3000), st.integers(1, 40), st.sampled_from([np.float32, np.float64]))
def test_column_sums_are_the_sums_over_rows(n, m, dtype):
    g = np.random.default_rng(n * m).standard_normal((n, m)).astype(dtype)
    got = column_sums(g)
    assert got.dtype == dtype and got.shape == (m,)
    np.testing.assert_allclose(got, g.astype(np.float64).sum(0), rtol=0, atol=(1e-4 if dtype == np.float32 else 1e-12) * np.sqrt(n))
