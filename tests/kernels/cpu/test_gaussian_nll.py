import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.stats import norm

import minivae as mv
import minivae.functional as F
from strategies import TOL, assert_paths_agree, both_paths, check, dtypes, matrices


@given(st.integers(1, 9), st.integers(1, 40), dtypes, st.data())
def test_the_rows_kernel_matches_the_reference(n, d, dtype, data):
    """Per row, for a learned log-variance per dimension and a fixed one, every input's
    gradient (x's too), inputs of any layout."""
    x, mean = data.draw(matrices(n, d, dtype)), data.draw(matrices(n, d, dtype))
    lv = data.draw(matrices(1, d, dtype, -1, 1))[0]
    results = both_paths(lambda x, m, lv: F.gaussian_nll(x, m, lv, "rows"), x, mean, lv)
    assert_paths_agree(results, rtol=10 * TOL[dtype]["rtol"], atol=10 * TOL[dtype]["atol"])
    results = both_paths(lambda x, m: F.gaussian_nll(x, m, 0.3, "rows"), x, mean)
    assert_paths_agree(results, rtol=10 * TOL[dtype]["rtol"], atol=10 * TOL[dtype]["atol"])


@given(st.integers(1, 5), st.integers(1, 6), st.data())
def test_the_rows_op_is_the_log_density_and_its_gradients_are_finite_differences(n, d, data):
    from strategies import arrays
    x, m = data.draw(arrays((n, d))), data.draw(arrays((n, d)))
    lv = data.draw(arrays((d,), -1, 1))
    check(lambda a, b, c: F.gaussian_nll(a, b, c, "rows"), lambda x, m, lv: -norm.logpdf(x, m, np.exp(lv / 2)).sum(-1),
          x, m, lv)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_at_the_decoders_size(dtype):
    rng = np.random.default_rng(0)
    x, mean = (rng.standard_normal((128, 784)).astype(dtype) for _ in range(2))
    lv = (rng.standard_normal(784) * 0.5).astype(dtype)
    results = both_paths(lambda x, m, lv: F.gaussian_nll(x, m, lv, "rows"), x, mean, lv)
    assert_paths_agree(results, rtol=1e-4 if dtype == np.float32 else 1e-11, atol=1e-4 if dtype == np.float32 else 1e-10)


def test_the_kernel_runs_for_rows_and_the_reference_for_the_rest():
    """A summed loss or a per-element one stays the composite; "rows" with a log-variance per
    dimension or a number is the fused op."""
    x, m = mv.tensor(np.ones((3, 4))), mv.tensor(np.zeros((3, 4)), requires_grad=True)
    lv = mv.tensor(np.zeros(4), requires_grad=True)
    assert type(F.gaussian_nll(x, m, lv, "rows").creator).__name__ == "GaussianNLLRows"
    assert type(F.gaussian_nll(x, m, 0.0, "rows").creator).__name__ == "GaussianNLLRows"
    assert type(F.gaussian_nll(x, m, lv, "sum").creator).__name__ != "GaussianNLLRows"
    np.testing.assert_allclose(F.gaussian_nll(x, m, lv, "rows").numpy(), 4 * (0.5 + 0.5 * np.log(2 * np.pi)))
