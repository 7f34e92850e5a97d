import numpy as np
import pytest

import minivae as mv
from minivae import kernels, optim
from minivae.models import create


def _train(make, steps=5):
    mv.manual_seed(0)
    model = create("vae", x_dim=6, z_dim=2, hidden=[8])
    for p in model.parameters():      # float64, so that the two paths can agree to 1e-12
        p.data = p.data.astype(np.float64)
    x = (np.random.default_rng(0).random((16, 6)) < 0.5).astype(np.float64)
    eps = np.random.default_rng(1).standard_normal((steps, 16, 2))
    opt = make(model.parameters())
    for t in range(steps):
        model.noise = lambda shape, t=t: eps[t]
        loss, _ = model.loss(mv.tensor(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def test_one_flat_step_equals_the_per_parameter_steps():
    per, _ = _train(lambda ps: optim.Adam(ps, lr=1e-2))
    flat, opt = _train(lambda ps: optim.FlatOptimizer(ps, lr=1e-2))
    for (name, a), b in zip(per.state_dict().items(), flat.state_dict().values()):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15, err_msg=name)
    for p, where in zip(flat.parameters(), opt.slices):   # the parameters are views of the buffer
        assert np.shares_memory(p.data, opt.buffer)
        np.testing.assert_array_equal(p.data.reshape(-1), opt.buffer[where])


def test_a_flat_step_is_one_kernel_launch(monkeypatch):
    calls = []
    cpu = kernels.on("cpu")
    real = cpu.adam_step
    monkeypatch.setattr(cpu, "adam_step", lambda *a, **k: calls.append(1) or real(*a, **k))
    model, _ = _train(lambda ps: optim.FlatOptimizer(ps, lr=1e-2), steps=3)
    assert len(calls) == 3 and len(list(model.parameters())) > 3


def test_loading_weights_keeps_the_parameters_views():
    model, opt = _train(lambda ps: optim.FlatOptimizer(ps, lr=1e-2), steps=1)
    state = {k: np.zeros_like(v) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert not opt.buffer.any()


def test_mixed_dtypes_are_refused():
    with pytest.raises(ValueError, match="one dtype on one device"):
        optim.FlatOptimizer([mv.nn.Parameter(np.zeros(2, np.float32)), mv.nn.Parameter(np.zeros(2))])


def test_its_state_is_the_per_parameter_state_both_ways():
    """A checkpoint moves between the flat and the per-parameter optimizer: the state saved
    by one loads into the other, and both go on to the same parameters."""
    per_model, per = _train(lambda ps: optim.Adam(ps, lr=1e-2), steps=3)
    flat_model, flat = _train(lambda ps: optim.FlatOptimizer(ps, lr=1e-2), steps=3)
    saved_per, saved_flat = per.state_dict(), flat.state_dict()
    assert saved_flat["state"].keys() == saved_per["state"].keys()
    for key, value in saved_per["state"].items():
        np.testing.assert_allclose(saved_flat["state"][key], value, rtol=1e-12, atol=1e-15, err_msg=key)
    other = optim.FlatOptimizer(per_model.parameters(), lr=1e-2)
    other.load_state_dict(saved_per)
    for key, value in other.state_dict()["state"].items():
        np.testing.assert_allclose(value, saved_per["state"][key], rtol=0, atol=0, err_msg=key)


def test_a_parameter_without_state_gets_zeros_in_the_flat_buffer():
    params = [mv.nn.Parameter(np.ones(2)), mv.nn.Parameter(np.ones(3))]
    opt = optim.FlatOptimizer(params, lr=1e-2)
    opt.load_state_dict({"lr": 1e-2, "steps": 4, "state": {"1.m": np.full(3, 2.0), "1.v": np.full(3, 3.0),
                                                           "1.step": np.asarray(4)}})
    state = opt.inner.state[0]
    np.testing.assert_array_equal(state["m"], [0, 0, 2, 2, 2])
    np.testing.assert_array_equal(state["v"], [0, 0, 3, 3, 3])
    assert state["step"] == 4


def test_a_replayed_step_is_counted_on_the_host():
    _, opt = _train(lambda ps: optim.FlatOptimizer(ps, lr=1e-2), steps=2)
    opt.replayed()
    assert opt.inner.steps == 3 and opt.inner.state[0]["step"] == 3
    assert {int(v) for k, v in opt.state_dict()["state"].items() if k.endswith(".step")} == {3}


def test_the_dense_layers_write_their_gradients_into_the_flat_buffer():
    """Nothing to gather before the step: the dense layers and the Gaussian likelihood write
    their parameters' gradients into their slots, views of the one gradient buffer."""
    mv.manual_seed(0)
    model = create("vae", x_dim=6, z_dim=2, hidden=[8])
    opt = optim.FlatOptimizer(model.parameters(), lr=1e-2)
    x = (np.random.default_rng(0).random((16, 6)) < 0.5).astype(np.float32)
    loss, _ = model.loss(mv.tensor(x))
    opt.zero_grad()
    loss.backward()
    written = {name: p.grad.data is p.grad_slot and np.shares_memory(p.grad.data, opt.grads)
               for name, p in model.named_parameters()}
    assert all(written.values()) and len(written) == 9 and "likelihood.logvar" in written
