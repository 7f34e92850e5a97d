import numpy as np
from hypothesis import given

import minivae.functional as F
from strategies import arrays, broadcast_pair, check


@given(broadcast_pair())
def test_where(ab):
    a, b = ab
    cond = np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) > 0
    check(lambda x, y: F.where(cond, x, y), lambda x, y: np.where(cond, x, y), a, b)


@given(broadcast_pair())
def test_maximum(ab):
    a, b = ab[0], 0.5 * ab[1] + 0.1  # hypothesis likes equal draws; a tie has no derivative
    check(F.maximum, np.maximum, a, b)


def test_maximum_tie_splits_the_gradient_as_pytorch_does():
    import minivae as mv
    a = mv.tensor([1.0, 2.0, -np.inf, np.nan], requires_grad=True)
    b = mv.tensor([1.0, 3.0, -np.inf, 0.0], requires_grad=True)
    y = F.maximum(a, b)
    np.testing.assert_array_equal(y.numpy(), [1.0, 3.0, -np.inf, np.nan])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy()[:3], [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(b.grad.numpy()[:3], [0.5, 1.0, 0.5])


@given(arrays())
def test_clip(a):
    a = np.where(np.abs(np.abs(a) - 1.0) < 1e-3, 0.0, a)
    check(lambda x: F.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0), a)
    check(lambda x: F.clip(x, low=0.5), lambda x: np.maximum(x, 0.5), np.where(np.abs(a - 0.5) < 1e-3, 0.0, a))
