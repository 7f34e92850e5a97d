import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae.functional as F
from strategies import TOL, assert_paths_agree, both_paths, dtypes, matrices


@given(st.integers(1, 9), st.integers(1, 9), dtypes, st.floats(1, 1e4), st.data())
def test_bce_kernel_matches_reference(n, d, dtype, scale, data):
    logits = data.draw(matrices(n, d, dtype, -1, 1)) * dtype(scale)
    target = data.draw(matrices(n, d, dtype, 0, 1))
    for t in (target, (target > 0.5).astype(dtype)):
        results = both_paths(lambda l, t: F.bce_with_logits(l, t, "none"), logits, t)
        assert_paths_agree(results, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale)
    for reduction in ("sum", "mean", "rows"):   # reduced in the kernel's pass: rows in their type, then float64
        results = both_paths(lambda l, t: F.bce_with_logits(l, t, reduction), logits, target)
        assert_paths_agree(results, rtol=10 * TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale)


def test_bce_sum_backward_seeded_with_one_and_with_a_scale():
    import minivae as mv
    l = mv.tensor([[0.5, -2.0]], requires_grad=True, dtype=np.float64)
    t = mv.tensor([[1.0, 0.0]], dtype=np.float64)
    sig = 1 / (1 + np.exp(-l.numpy()))
    F.bce_with_logits(l, t, "sum").backward()
    np.testing.assert_allclose(l.grad.numpy(), sig - t.numpy(), rtol=1e-12)
    l.grad = None
    (F.bce_with_logits(l, t, "mean") * 3.0).backward()
    np.testing.assert_allclose(l.grad.numpy(), 3.0 * (sig - t.numpy()) / 2, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_extreme_logits(dtype):
    l = np.array([[-1e4, 1e4, -1e4, 1e4, 0.0]], dtype)
    t = np.array([[0.0, 1.0, 1.0, 0.0, 0.5]], dtype)
    results = both_paths(lambda l, t: F.bce_with_logits(l, t, "sum"), l, t)
    assert_paths_agree(results, rtol=1e-6)
    (loss,), (gl, gt) = results["fast"]
    np.testing.assert_allclose(loss, 2e4 + np.log(2), rtol=1e-6)
    assert np.all(np.isfinite(gl)) and np.all(np.isfinite(gt))


@pytest.mark.parametrize("shape", [(128, 784), (37, 101)])   # long rows: the vector loop's body
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_kernel_at_vae_sizes(shape, dtype):
    rng = np.random.default_rng(1)
    logits = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 2, shape)).astype(dtype)
    target = (rng.random(shape) < 0.3).astype(dtype)
    for reduction in ("none", "sum", "rows"):
        results = both_paths(lambda l, t: F.bce_with_logits(l, t, reduction), logits, target)
        assert_paths_agree(results, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_bce_nan_logit_gives_nan_loss_and_gradient():
    import minivae as mv
    l = mv.tensor([[np.nan, 1.0]], requires_grad=True)
    t = mv.tensor([[0.0, 1.0]])
    for reduction in ("none", "sum", "rows"):
        loss = F.bce_with_logits(l, t, reduction)
        assert np.isnan(loss.numpy().flat[0])
        loss.sum().backward()
        assert np.isnan(l.grad.numpy()[0, 0]) and np.isfinite(l.grad.numpy()[0, 1])
        l.grad = None


def test_bce_rows_is_each_rows_sum_and_its_gradient_each_rows_weight():
    """reduction="rows": one loss per example, the elementwise loss summed over the last axis;
    the gradient of sum_i w_i loss_i is w_i (sigma(l) - t) in row i."""
    import minivae as mv
    rng = np.random.default_rng(0)
    l = mv.tensor(rng.standard_normal((5, 7)), requires_grad=True, dtype=np.float64)
    t = mv.tensor((rng.random((5, 7)) < 0.5).astype(np.float64))
    rows = F.bce_with_logits(l, t, "rows")
    np.testing.assert_allclose(rows.numpy(), F.bce_with_logits(l, t, "none").numpy().sum(-1), rtol=1e-12)
    w = rng.standard_normal(5)
    (rows * mv.tensor(w)).sum().backward()
    np.testing.assert_allclose(l.grad.numpy(), w[:, None] * (1 / (1 + np.exp(-l.numpy())) - t.numpy()), rtol=1e-12)
    with pytest.raises(ValueError, match="mean, sum, none, rows"):
        F.bce_with_logits(l, t, "per-row")
