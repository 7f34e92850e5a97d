import numpy as np

import minivae as mv


def test_broadcast_gradients_are_reduced_to_input_shapes():
    a = mv.tensor(np.ones((3, 1)), requires_grad=True)
    b = mv.tensor(np.ones((1, 4)), requires_grad=True)
    c = mv.tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and c.grad.shape == ()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((1, 4), 6.0))
    assert c.grad.item() == 12.0


def test_sum_to_is_the_only_place_gradients_are_reduced():
    """Every op's backward returns gradients of the broadcast shape; the engine's sum_to
    reduces them. So an op written without any broadcasting logic still gets it right."""
    from minivae.core import Function

    class Scale(Function):
        keep_inputs = (0, 1)

        def forward(self, x, s):
            return x * s

        def backward(self, gy):
            return gy * self.inputs[1], gy * self.inputs[0]   # shapes of y, not of x or s

    x = mv.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    s = mv.tensor([[2.0]], requires_grad=True)
    Scale()(x, s).sum().backward()
    assert s.grad.shape == (1, 1) and s.grad.item() == 15.0
