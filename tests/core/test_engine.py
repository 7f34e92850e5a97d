import gc
import sys
import weakref

import numpy as np
import pytest

import minivae as mv
import minivae.functional as F


def t(values, grad=True):
    return mv.tensor(values, requires_grad=grad, dtype=np.float64)


def test_second_derivative_of_cube_is_6x():
    x = t([1.0, -2.0, 0.5])
    (g,) = mv.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = mv.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())
    x0 = t(2.0)
    (h,) = mv.grad(mv.grad(x0 ** 3, x0, create_graph=True)[0], x0)
    assert h.item() == 12.0


def test_third_derivative():
    x = t(0.7)
    g1 = mv.grad(F.exp(x * 2.0), x, create_graph=True)[0]
    g2 = mv.grad(g1, x, create_graph=True)[0]
    g3 = mv.grad(g2, x)[0]
    np.testing.assert_allclose(g3.item(), 8 * np.exp(1.4))


def test_accumulates_when_a_tensor_is_used_several_times():
    x = t([3.0])
    y = x * x + x * 2.0 + x    # dy/dx = 2x + 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0])
    y2 = (x * 4.0).sum()
    y2.backward()               # .grad accumulates across backward calls, as in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), [13.0])


def test_diamond_graph_visits_each_function_once():
    x = t([1.5])
    a = F.exp(x)
    b, c = a * 2.0, a * 3.0
    (b * c).sum().backward()   # d/dx 6 e^{2x} = 12 e^{2x}
    np.testing.assert_allclose(x.grad.numpy(), 12 * np.exp(3.0))


def test_deep_chain_needs_no_recursion():
    x = t([0.5])
    y = x
    for _ in range(5 * sys.getrecursionlimit()):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_unless_retained():
    x = t([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * x.numpy() + 2 * x.numpy())


def test_backward_frees_saved_tensors():
    gc.disable()   # freed by reference counting alone: no cycle for the collector to find
    try:
        x = t(np.ones(4))
        h = F.exp(x)
        tensor_ref, array_ref = weakref.ref(h), weakref.ref(h.data)
        y = h.sum()
        del h
        assert tensor_ref() is None        # exp keeps its output's array, not the Tensor ...
        assert array_ref() is not None     # ... which backward needs
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), np.e)
        assert array_ref() is None         # ... and lets it go after backward
    finally:
        gc.enable()


def test_ops_keep_only_what_backward_needs():
    x, w = t(np.ones((3, 4))), t(np.ones((4, 2)))
    y = x + w[0, 0]
    assert y.creator.inputs == {} and len(y.creator.outputs) == 0   # add needs nothing
    z = x @ w
    assert set(z.creator.inputs) == {0, 1}
    r = F.relu(x)
    assert r.creator.inputs == {} and r.creator.mask.dtype == bool


def test_gradient_only_where_needed():
    a, b = t([1.0, 2.0]), t([3.0, 4.0], grad=False)
    y = a * b
    assert y.creator.needs_grad == [True, False]
    y.sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_grad_does_not_touch_dot_grad_and_handles_intermediates():
    x = t([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    gh, gx = mv.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())
    assert x.grad is None


def test_grad_unused_input():
    x, u = t([1.0]), t([2.0])
    with pytest.raises(ValueError, match="was not used"):
        mv.grad((x * 2.0).sum(), [x, u])
    assert mv.grad((x * 2.0).sum(), [x, u], allow_unused=True)[1] is None


def test_grad_outputs_for_non_scalar():
    x = t([1.0, 2.0, 3.0])
    (g,) = mv.grad(x * x, x, grad_outputs=mv.tensor([1.0, 0.0, 2.0], dtype=np.float64))
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 12.0])


def test_backward_on_non_scalar_needs_grad():
    x = t([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(2,\) is not a scalar; pass grad="):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\)"):
        (x * 2.0).backward(np.ones(3))


def test_no_grad_records_nothing():
    x = t([1.0])
    with mv.no_grad():
        y = x * 2.0
    assert not y.requires_grad and y.creator is None
    with pytest.raises(ValueError, match="does not require grad"):
        y.sum().backward()


def test_create_graph_false_gives_plain_gradients():
    x = t([1.0, 2.0])
    (x ** 3).sum().backward()
    assert not x.grad.requires_grad and x.grad.creator is None


def test_gradient_penalty_through_double_backward():
    """d/dw of ||dy/dx||^2 for y = tanh(x w): the WGAN-GP / contractive pattern."""
    rng = np.random.default_rng(0)
    x, w = t(rng.standard_normal((3, 2))), t(rng.standard_normal((2, 1)))

    def penalty(w_):
        y = F.tanh(x @ w_)
        (gx,) = mv.grad(y.sum(), x, create_graph=True)
        return (gx * gx).sum()

    from minivae.testing import gradcheck
    assert gradcheck(penalty, w.numpy())


def test_float32_stays_float32_through_backward():
    x = mv.tensor([[1.0, 2.0]], requires_grad=True)
    w = mv.tensor([[0.5], [0.25]], requires_grad=True)
    loss = F.mse(F.tanh(x @ w) * 2.0 + 1, mv.tensor([[0.0]]))
    loss.backward()
    assert loss.dtype == x.grad.dtype == w.grad.dtype == np.float32


def test_a_leaf_gradient_has_the_leaf_dtype():
    """A float32 leaf that meets a float64 tensor gets a float32 .grad (PyTorch)."""
    p = mv.tensor([1.0, 2.0], requires_grad=True)                  # float32
    q = mv.tensor(np.array([[3.0], [4.0]]), requires_grad=True)    # float64, broadcast
    y = p * q
    assert y.dtype == np.float64
    y.sum().backward()
    assert p.grad.dtype == np.float32 and q.grad.dtype == np.float64
    np.testing.assert_array_equal(p.grad.numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(q.grad.numpy(), [[3.0], [3.0]])
    (g,) = mv.grad((p * q).sum(), p, create_graph=True)
    assert g.dtype == np.float32 and g.requires_grad


def test_a_leaf_gradient_is_its_own_writable_array():
    p = mv.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (p.sum() * 10).backward()                  # sum's backward broadcasts: a stride-0 view
    g = p.grad.data
    assert g.flags.writeable and g.flags.owndata and g.strides == (4,)
    a, b = mv.tensor([1.0, 2.0], requires_grad=True), mv.tensor([3.0, -1.0], requires_grad=True)
    (a + b).sum().backward()                   # add sends one gradient to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    seed = np.array([1.0, 1.0], np.float32)
    c = mv.tensor([5.0, 6.0], requires_grad=True)
    c.backward(grad=seed)                      # the caller's array stays the caller's
    assert not np.shares_memory(c.grad.data, seed)


def _slotted(shape, rng):
    """A float64 leaf with a gradient slot, as FlatOptimizer gives one."""
    w = t(rng.standard_normal(shape))
    w.grad_slot = np.full(shape, np.nan)
    return w


def test_a_leaf_with_a_slot_gets_its_gradient_written_there():
    """The dense op writes dW and db into the slots it is offered: the leaves' .grad are the
    slots themselves, holding the gradient the reference ops give."""
    rng = np.random.default_rng(0)
    x, w, b = t(rng.standard_normal((5, 3)), grad=False), _slotted((3, 4), rng), _slotted((4,), rng)
    F.dense(x, w, b, "tanh").sum().backward()
    assert w.grad.data is w.grad_slot and b.grad.data is b.grad_slot
    w2, b2 = t(w.numpy()), t(b.numpy())
    mv.set_kernels("reference")
    try:
        F.dense(x, w2, b2, "tanh").sum().backward()
    finally:
        mv.set_kernels("fast")
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), b2.grad.numpy(), rtol=1e-12)


def test_a_second_contribution_and_an_earlier_grad_are_added_to_the_slots_value():
    """A leaf used by two ops: the first may write into its slot, the second's gradient is
    added (into a new array); a leaf with a .grad already is not offered its slot."""
    rng = np.random.default_rng(1)
    x, w = t(rng.standard_normal((5, 3)), grad=False), _slotted((3, 3), rng)
    y = F.dense(F.dense(x, w, activation="tanh"), w, activation="tanh")
    y.sum().backward()
    w2 = t(w.numpy())
    mv.set_kernels("reference")
    try:
        F.dense(F.dense(x, w2, activation="tanh"), w2, activation="tanh").sum().backward()
    finally:
        mv.set_kernels("fast")
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12)
    first = w.grad.numpy().copy()
    F.dense(x, w, activation="tanh").sum().backward()   # no zero_grad: accumulated
    mv.set_kernels("reference")
    try:
        F.dense(x, w2, activation="tanh").sum().backward()
    finally:
        mv.set_kernels("fast")
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12)
    assert not np.allclose(w.grad.numpy(), first)


def test_slots_are_left_alone_by_grad_and_by_a_differentiable_backward():
    rng = np.random.default_rng(2)
    x, w = t(rng.standard_normal((4, 3)), grad=False), _slotted((3, 2), rng)
    (g,) = mv.grad(F.dense(x, w, activation="tanh").sum(), w)
    assert np.isnan(w.grad_slot).all() and g.data is not w.grad_slot
    F.dense(x, w, activation="tanh").sum().backward(create_graph=True)
    assert np.isnan(w.grad_slot).all() and w.grad.data is not w.grad_slot
    np.testing.assert_allclose(w.grad.numpy(), g.numpy(), rtol=1e-12)
