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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_extreme_logits(dtype):
    l = np.array([[-1e4, 1e4, -1e4, 1e4, 0.0]], dtype)
    t = np.array([[0.0, 1.0, 1.0, 0.0, 0.5]], dtype)
    results = both_paths(lambda l, t: F.bce_with_logits(l, t, "sum"), l, t)
    assert_paths_agree(results, rtol=1e-6)
    (loss,), (gl, gt) = results["fast"]
    np.testing.assert_allclose(loss, 2e4 + np.log(2), rtol=1e-6)
    assert np.all(np.isfinite(gl)) and np.all(np.isfinite(gt))
