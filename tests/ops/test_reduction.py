import numpy as np
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
