import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
import minivae.functional as F
from strategies import arrays, check


def _axis(draw, ndim):
    if ndim == 0:
        return None
    return draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                          st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))


@given(arrays(), st.booleans(), st.data())
def test_sum(a, keepdims, data):
    axis = _axis(data.draw, a.ndim)
    check(lambda x: x.sum(axis, keepdims), lambda x: np.sum(x, axis, keepdims=keepdims), a)


@given(arrays(), st.booleans(), st.data())
def test_mean(a, keepdims, data):
    axis = _axis(data.draw, a.ndim)
    check(lambda x: x.mean(axis, keepdims), lambda x: np.mean(x, axis, keepdims=keepdims), a)


@given(arrays(), st.booleans(), st.data())
def test_max_min(a, keepdims, data):
    axis = _axis(data.draw, a.ndim)
    check(lambda x: F.max(x, axis, keepdims), lambda x: np.max(x, axis, keepdims=keepdims), a)
    check(lambda x: F.min(x, axis, keepdims), lambda x: np.min(x, axis, keepdims=keepdims), a)


def test_max_ties_share_gradient():
    x = mv.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])


def test_mean_of_nothing_is_nan():
    x = mv.tensor(np.zeros((0, 3)), requires_grad=True)
    assert np.isnan(x.mean().item())
    np.testing.assert_array_equal(np.isnan(x.mean(axis=0).numpy()), [True, True, True])
    assert x.mean(axis=1).shape == (0,)
    x.mean().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("axis", [5, -3, (0, 0), (1, -1), 1.0, True])
def test_an_axis_out_of_range_or_named_twice_is_refused(axis):
    """Issue 35, row 18: sum(axis=5) of a 2-D tensor once summed axis 1 (5 % 2)."""
    x = mv.tensor(np.ones((2, 3)))
    for reduce in (lambda: x.sum(axis=axis), lambda: x.mean(axis=axis), lambda: x.max(axis=axis)):
        with pytest.raises(TypeError if isinstance(axis, (bool, float)) else ValueError, match="axis"):
            reduce()
