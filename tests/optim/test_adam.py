import numpy as np

import minivae as mv
from minivae import nn, optim


def test_adam_on_a_quadratic_matches_hand_computation():
    """f(p) = 0.5 * sum(a * p^2), so g = a * p; three steps of Adam written out by hand."""
    a = np.array([1.0, 4.0, 0.25])
    p = nn.Parameter(np.array([1.0, -2.0, 3.0]))
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    ref, m, v = np.array([1.0, -2.0, 3.0]), 0.0, 0.0
    for t in range(1, 4):
        loss = (mv.tensor(a) * p * p).sum() * 0.5
        opt.zero_grad()
        loss.backward()
        opt.step()
        g = a * ref + 0.01 * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)


def test_adam_first_step_moves_each_coordinate_by_lr():
    p = nn.Parameter(np.array([5.0, -3.0]))
    opt = optim.Adam([p], lr=0.01)
    (p * mv.tensor([2.0, 7.0], dtype=np.float64)).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [4.99, -3.01], rtol=1e-6)


def test_adam_state_dict_round_trip():
    p = nn.Parameter(np.array([1.0, 2.0], np.float32))
    opt = optim.Adam([p])
    (p * p).sum().backward()
    opt.step()
    q = nn.Parameter(p.numpy().copy())
    opt2 = optim.Adam([q])
    opt2.load_state_dict(opt.state_dict())
    for o, param in ((opt, p), (opt2, q)):
        param.grad = mv.tensor([0.5, -0.5])
        o.step()
    assert p.numpy().tobytes() == q.numpy().tobytes()
