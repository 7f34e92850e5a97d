import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
import minivae.functional as F
from minivae.backend import Generator
from strategies import arrays, check


@given(arrays(), st.sampled_from([0.1, 0.5, 0.9]), st.integers(0, 1000))
def test_dropout_gradient(a, p, seed):
    """With the generator re-seeded on each call the mask is fixed, so the op is a
    deterministic function to check: x * mask / (1 - p)."""
    mask = Generator(seed).bernoulli(1 - p, a.shape, dtype=np.float64)
    check(lambda x: F.dropout(x, p, generator=Generator(seed)), lambda x: x * mask / (1 - p), a)


def test_dropout_mask_scale_and_gradient():
    x = mv.tensor(np.ones((200, 50)), requires_grad=True)
    y = F.dropout(x, 0.3, generator=Generator(0))
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.02          # binomial sd ~ 0.0032
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # d/dx (x * mask/(1-p)) = mask/(1-p)


def test_dropout_eval_is_identity_and_seeded():
    x = mv.tensor(np.arange(10.0))
    assert F.dropout(x, 0.5, training=False) is x
    a = F.dropout(x, 0.5, generator=Generator(3)).numpy()
    b = F.dropout(x, 0.5, generator=Generator(3)).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="dropout: p must be in"):
        F.dropout(mv.tensor([1.0]), 1.0)
