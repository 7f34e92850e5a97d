import numpy as np
import pytest

import minivae as mv


def test_detach_numpy_item_and_leaf():
    x = mv.tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and not y.is_leaf
    np.testing.assert_array_equal(d.numpy(), [[2.0, 4.0]])
    assert (x.sum()).item() == 3.0 and float(x.sum()) == 3.0
    with pytest.raises(ValueError, match="one element"):
        x.item()
    assert x.shape == (1, 2) and x.ndim == 2 and x.size == 2 and len(x) == 1


def test_repr():
    assert repr(mv.tensor([1.0])) == "tensor([1.], dtype=float32)"
