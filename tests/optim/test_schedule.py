import numpy as np

from minivae import nn, optim


def _opt(lr=1e-3):
    return optim.Adam([nn.Parameter(np.ones(1))], lr=lr)


def test_staged_schedule_of_the_iwae_paper():
    """Stage i lasts 3^i epochs at lr * 10^(-i/7); 3280 epochs in all."""
    opt = _opt()
    sched = optim.StagedLR(opt)
    assert sched.total_epochs == 3280
    lrs = [opt.lr] + [sched.step() for _ in range(3279)]
    expected = np.concatenate([np.full(3 ** i, 1e-3 * 10 ** (-i / 7)) for i in range(8)])
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert sched.step() == lrs[-1]   # past the last stage the rate stays


def test_step_and_exponential():
    opt = _opt(1.0)
    s = optim.StepLR(opt, step_size=2, gamma=0.5)
    assert [s.step() for _ in range(4)] == [1.0, 0.5, 0.5, 0.25]
    opt = _opt(1.0)
    e = optim.ExponentialLR(opt, 0.9)
    np.testing.assert_allclose([e.step() for _ in range(3)], [0.9, 0.81, 0.729])


def test_kl_warmup_rises_linearly_to_beta_and_stays():
    from minivae.optim import kl_warmup
    assert [kl_warmup(e, 4) for e in (0, 2, 4, 9)] == [0.0, 0.5, 1.0, 1.0]
    assert [kl_warmup(e, 4, beta=4.0) for e in (1, 8)] == [1.0, 4.0]
    assert kl_warmup(0, 0, beta=2.0) == 2.0   # no warm-up: the full weight from the start
