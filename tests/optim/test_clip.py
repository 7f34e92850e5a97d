import numpy as np

from minivae import nn, optim, tensor


def test_clip_grad_norm_scales_all_gradients_together():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    p.grad, q.grad = tensor([3.0, 0.0], dtype=np.float64), tensor([4.0], dtype=np.float64)
    assert optim.clip_grad_norm([p, q], 1.0) == 5.0
    np.testing.assert_allclose(np.concatenate([p.grad.numpy(), q.grad.numpy()]), [0.6, 0.0, 0.8], rtol=1e-5)
    assert optim.clip_grad_norm([p, q], 10.0) < 1.0 + 1e-5   # under the bound: unchanged
