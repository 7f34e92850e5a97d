import numpy as np

from minivae import nn, optim


def test_adagrad_matches_hand_computation():
    p = nn.Parameter(np.array([2.0, -1.0]))
    opt = optim.Adagrad([p], lr=0.5)
    ref, s = np.array([2.0, -1.0]), 0.0
    for _ in range(3):
        opt.zero_grad()
        (p * p * p).sum().backward()
        opt.step()
        g = 3 * ref ** 2
        s = s + g * g
        ref = ref - 0.5 * g / (np.sqrt(s) + 1e-10)
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)
