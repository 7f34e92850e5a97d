import numpy as np
import pytest

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


def _reference_adam(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, amsgrad=False):
    """Adam written out, with this parameter's own step count t; None: no gradient."""
    m = v = v_max = 0.0
    t = 0
    for g in grads:
        if g is None:
            continue
        t += 1
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        v_max = np.maximum(v_max, v)
        denom = np.sqrt((v_max if amsgrad else v) / (1 - betas[1] ** t)) + eps
        p = p - lr * (m / (1 - betas[0] ** t)) / denom
    return p


def test_adam_counts_steps_per_parameter():
    """q gets no gradient on step 1: its first update must use t = 1 and move it by lr
    (PyTorch: -0.1; with one step count for the optimizer it moved -0.0744)."""
    p, q = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([0.0]))
    opt = optim.Adam([p, q], lr=0.1)
    (p * 2.0).sum().backward()
    opt.step()
    opt.zero_grad()
    (p * 2.0 + q * 3.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(q.numpy(), [-0.1], rtol=1e-7)
    np.testing.assert_allclose(p.numpy(), _reference_adam(1.0, [2.0, 2.0], 0.1), rtol=1e-12)


def test_adam_with_missing_gradients_over_several_steps():
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal(3) if rng.random() < 0.6 else None for _ in range(2)] for _ in range(6)]
    for amsgrad in (False, True):
        params = [nn.Parameter(np.zeros(3)) for _ in range(2)]
        opt = optim.Adam(params, lr=0.05, amsgrad=amsgrad)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = None if g is None else mv.tensor(g)
            opt.step()
        for i, p in enumerate(params):
            expected = _reference_adam(np.zeros(3), [step[i] for step in grads], 0.05, amsgrad=amsgrad)
            np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_amsgrad_divides_by_the_largest_second_moment():
    """A large gradient, then small ones: v decays, v_max does not, so AMSGrad's steps are
    smaller than Adam's, and both match the written-out update (b2 = 0.5: v decays fast)."""
    grads = [np.array([10.0]), np.array([0.1]), np.array([0.1]), np.array([0.1])]
    finals = {}
    for amsgrad in (False, True):
        for mode in ("fast", "reference"):
            mv.set_kernels(mode)
            try:
                p = nn.Parameter(np.array([1.0]))
                opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.5), amsgrad=amsgrad)
                for g in grads:
                    p.grad = mv.tensor(g)
                    opt.step()
            finally:
                mv.set_kernels("fast")
            expected = _reference_adam(1.0, grads, 0.1, betas=(0.9, 0.5), amsgrad=amsgrad)
            np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12)
            finals[amsgrad] = p.numpy()[0]
    assert abs(finals[True] - 1.0) < abs(finals[False] - 1.0) - 0.05


def test_per_parameter_steps_survive_state_dict():
    p, q = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([1.0]))
    opt = optim.Adam([p, q], lr=0.1, amsgrad=True)
    for step in range(3):
        p.grad = mv.tensor(np.array([1.0 + step]))
        q.grad = mv.tensor(np.array([2.0])) if step == 2 else None
        opt.step()
    assert [s["step"] for s in opt.state] == [3, 1]
    p2, q2 = nn.Parameter(p.numpy().copy()), nn.Parameter(q.numpy().copy())
    opt2 = optim.Adam([p2, q2], lr=0.1, amsgrad=True)
    opt2.load_state_dict(opt.state_dict())
    for o, params in ((opt, (p, q)), (opt2, (p2, q2))):
        for param in params:
            param.grad = mv.tensor(np.array([0.5]))
        o.step()
    assert p.numpy().tobytes() == p2.numpy().tobytes() and q.numpy().tobytes() == q2.numpy().tobytes()


def test_device_steps_need_the_gpu_kernels():
    with pytest.raises(ValueError, match="device_steps needs parameters on cuda"):
        mv.optim.Adam([mv.nn.Parameter(np.zeros(3, np.float32))], device_steps=True)
