import numpy as np

from minivae import nn, optim, tensor


def test_clip_grad_norm_scales_all_gradients_together():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    p.grad, q.grad = tensor([3.0, 0.0], dtype=np.float64), tensor([4.0], dtype=np.float64)
    assert optim.clip_grad_norm([p, q], 1.0) == 5.0
    np.testing.assert_allclose(np.concatenate([p.grad.numpy(), q.grad.numpy()]), [0.6, 0.0, 0.8], rtol=1e-5)
    assert optim.clip_grad_norm([p, q], 10.0) < 1.0 + 1e-5   # under the bound: unchanged


def _global_norm(params):
    return np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params))


def test_clip_when_two_leaves_share_one_gradient():
    """add's backward hands one gradient to both inputs: clipping scaled it twice
    (a global norm of 0.0857 instead of 1)."""
    p, q = nn.Parameter(np.array([1.0, 2.0])), nn.Parameter(np.array([3.0, -1.0]))
    ((p + q) ** 2).sum().backward()
    assert optim.clip_grad_norm([p, q], 1.0) > 1.0
    np.testing.assert_allclose(_global_norm([p, q]), 1.0, rtol=1e-5)


def test_clip_a_broadcast_gradient():
    p = nn.Parameter(np.ones(3))
    (p.sum() * 10).backward()      # was a read-only stride-0 view: "output array is read-only"
    optim.clip_grad_norm([p], 1.0)
    np.testing.assert_allclose(p.grad.numpy(), np.full(3, 1 / np.sqrt(3)), rtol=1e-5)


def test_clip_between_two_backward_passes_of_a_retained_graph():
    """bce_with_logits(..., "sum") hands its saved d loss / d logits to the leaf; clipping
    it in place changed what the second backward pass sent."""
    import minivae.functional as F
    rng = np.random.default_rng(0)
    l = nn.Parameter(rng.standard_normal((4, 5)))
    t = tensor(rng.uniform(0, 1, (4, 5)), dtype=np.float64)
    loss = F.bce_with_logits(l, t, "sum")
    loss.backward(retain_graph=True)
    first = l.grad.numpy().copy()
    optim.clip_grad_norm([l], 0.1)
    clipped = l.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(l.grad.numpy(), clipped + first, rtol=1e-12)
