import numpy as np
import pytest
from hypothesis import given, strategies as st

import minivae as mv
import minivae.functional as F
from strategies import arrays, check


@given(arrays(), st.data())
def test_reshape(a, data):
    shape = data.draw(st.permutations(a.shape).map(tuple)) + (1,)
    check(lambda x: x.reshape(shape), lambda x: x.reshape(shape), a)
    check(lambda x: x.reshape(-1), lambda x: x.reshape(-1), a)


@given(arrays(), st.data())
def test_transpose(a, data):
    axes = data.draw(st.permutations(range(a.ndim)).map(tuple))
    check(lambda x: x.transpose(axes), lambda x: x.transpose(axes), a)
    check(lambda x: x.T, lambda x: x.T, a)


@given(arrays(), st.data())
def test_broadcast_to(a, data):
    shape = (2,) + tuple(data.draw(st.sampled_from([1, 3])) if n == 1 else n for n in a.shape)
    check(lambda x: F.broadcast_to(x, shape), lambda x: np.broadcast_to(x, shape), a)


@given(arrays(), st.data())
def test_sum_to(a, data):
    shape = tuple(data.draw(st.sampled_from([1, n])) for n in a.shape[1:])
    ref = lambda x: x.sum(axis=tuple(range(x.ndim - len(shape))) + tuple(
        x.ndim - len(shape) + i for i, n in enumerate(shape) if n == 1), keepdims=True).reshape(shape)
    check(lambda x: F.sum_to(x, shape), ref, a)


@given(arrays(st.tuples(st.integers(1, 5), st.integers(1, 4))), st.data())
def test_getitem_basic(a, data):
    i = data.draw(st.integers(0, a.shape[0] - 1))
    for index in (i, (slice(None), 0), (slice(None, None, -1), slice(0, None, 2)), (None, Ellipsis, -1)):
        check(lambda x: x[index], lambda x: x[index], a)


@given(arrays(st.tuples(st.integers(1, 5), st.integers(1, 4))), st.data())
def test_getitem_integer_arrays_repeat(a, data):
    rows = np.array(data.draw(st.lists(st.integers(0, a.shape[0] - 1), min_size=1, max_size=6)))
    check(lambda x: x[rows], lambda x: x[rows], a)        # repeated rows sum their gradients
    cols = rows % a.shape[1]
    check(lambda x: x[rows, cols], lambda x: x[rows, cols], a)
    mask = a > 0
    check(lambda x: x[mask], lambda x: x[mask], a, double=False)


def test_getitem_repeated_index_accumulates():
    x = mv.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@given(st.integers(1, 3), st.integers(0, 1), st.data())
def test_concat_stack_split(n, axis, data):
    xs = [data.draw(arrays((2, data.draw(st.integers(1, 3))) if axis else (data.draw(st.integers(1, 3)), 2)))
          for _ in range(n)]
    check(lambda *t: F.concat(t, axis), lambda *t: np.concatenate(t, axis), *xs)
    same = [data.draw(arrays((2, 3))) for _ in range(n)]
    check(lambda *t: F.stack(t, axis), lambda *t: np.stack(t, axis), *same)
    big = np.concatenate(xs, axis)
    cuts = list(np.cumsum([x.shape[axis] for x in xs])[:-1])
    for j in range(n):
        check(lambda t: F.split(t, cuts, axis)[j], lambda t: np.split(t, cuts, axis)[j], big)


def test_split_unused_outputs_get_zero_gradient():
    x = mv.tensor(np.arange(6.0), requires_grad=True)
    a, b, c = F.split(x, 3)
    (b * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 2, 2, 0, 0])


def test_split_uneven_sections_error():
    with pytest.raises(ValueError, match=r"split: axis 0 of length 5 does not divide into 2"):
        F.split(mv.tensor(np.ones(5)), 2)


def test_shape_ops_keep_integer_dtype():
    x = mv.tensor(np.arange(6).reshape(2, 3))
    assert x.reshape(3, 2).dtype == np.int64 and x.T[0].dtype == np.int64


def test_split_joins_gradients_that_lie_side_by_side_without_a_copy():
    """The gradients of the parts as two halves of one array (as the fused reparameterization
    writes d mu and d logvar): the split's backward hands that array on, and its values are
    the concatenation."""
    from minivae.ops.shape import Split
    both = np.arange(12.0).reshape(3, 4)
    whole = Split([2], -1).backward(mv.Tensor(both[:, :2]), mv.Tensor(both[:, 2:]))
    assert np.shares_memory(whole.data, both)
    np.testing.assert_array_equal(whole.numpy(), both)
    apart = Split([2], -1).backward(mv.Tensor(both[:, :2].copy()), mv.Tensor(both[:, 2:].copy()))
    assert not np.shares_memory(apart.data, both)
    np.testing.assert_array_equal(apart.numpy(), both)
