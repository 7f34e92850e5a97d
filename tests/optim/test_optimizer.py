"""An optimizer's state may come from a file: every entry is checked before it is used
(issue 35, row 1: one-element moments once made the Adam kernel write past them)."""
import numpy as np
import pytest

from minivae import optim
from minivae.nn import Parameter


def _stepped(kind=optim.Adam, flat=False, **kwargs):
    params = [Parameter(np.ones((3, 2), np.float32)), Parameter(np.ones(4, np.float32))]
    opt = optim.FlatOptimizer(params, kind, **kwargs) if flat else kind(params, **kwargs)
    for p in params:
        p.grad = Parameter(np.full(p.shape, 0.5, np.float32))
    opt.step()
    return opt


def _changed(state, **entries):
    out = {**state, "state": dict(state["state"])}
    for key, value in entries.items():
        key = key.replace("_", ".", 1)
        if value is None:
            out["state"].pop(key)
        else:
            out["state"][key] = value
    return out


BAD = [
    (dict(**{"0_m": np.zeros(1, np.float32)}), "0.m has shape \\(1,\\); parameter 0 has shape \\(3, 2\\)"),
    (dict(**{"-1_m": np.zeros(4, np.float32)}), "unknown entry '-1.m'"),
    (dict(**{"2_m": np.zeros(4, np.float32)}), "unknown entry '2.m'"),
    (dict(**{"0_bogus": np.zeros((3, 2), np.float32)}), "unknown entry '0.bogus'"),
    (dict(**{"0_step": np.asarray(0)}), "0.step must be a step count of at least 1"),
    (dict(**{"0_step": np.asarray(1.5)}), "0.step must be a step count"),
    (dict(**{"0_v": np.full((3, 2), -1.0, np.float32)}), "0.v holds negative values"),
    (dict(**{"0_m": np.full((3, 2), np.nan, np.float32)}), "0.m holds NaN or infinite"),
    (dict(**{"0_m": np.full((3, 2), 1e300)}), "0.m holds NaN or infinite values \\(as float32\\)"),
    (dict(**{"0_m": np.full((3, 2), "x")}), "0.m holds <U1 values, not real numbers"),
    (dict(**{"0_m": np.zeros((3, 2), np.complex64)}), "0.m holds complex64 values"),
    (dict(**{"0_m": np.zeros((3, 2), [("a", "f4")])}), "not real numbers"),
]


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize("entries, message", BAD)
def test_a_state_that_does_not_fit_is_refused_by_name(entries, message, flat):
    opt = _stepped(flat=flat)
    good = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        _stepped(flat=flat).load_state_dict(_changed(good, **entries))


@pytest.mark.parametrize("field, value, message", [("lr", float("inf"), "lr must be a positive number"),
                                                   ("lr", -1.0, "lr must be"), ("steps", -2, "steps must be a count"),
                                                   ("state", [], "not a state_dict")])
def test_lr_and_steps_are_checked(field, value, message):
    state = _stepped().state_dict()
    with pytest.raises(ValueError, match=message):
        _stepped().load_state_dict({**state, field: value})


@pytest.mark.parametrize("kind, buffer", [(optim.SGD, "velocity"), (optim.Adagrad, "sum_sq"),
                                          (optim.RMSprop, "square_avg")])
def test_each_optimizer_names_its_own_buffers(kind, buffer):
    kwargs = {"momentum": 0.9} if kind is optim.SGD else {}
    state = _stepped(kind, **kwargs).state_dict()
    assert f"0.{buffer}" in state["state"]
    fresh = _stepped(kind, **kwargs)
    fresh.load_state_dict(state)   # its own loads, exactly
    np.testing.assert_array_equal(fresh.state[0][buffer], state["state"][f"0.{buffer}"])
    with pytest.raises(ValueError, match="unknown entry '0.m'"):
        fresh.load_state_dict(_changed(state, **{"0_m": np.zeros((3, 2), np.float32)}))


def test_a_good_state_loads_exactly():
    opt = _stepped()
    state = opt.state_dict()
    fresh = _stepped()
    fresh.load_state_dict(state)
    for key, value in state["state"].items():
        i, name = key.split(".")
        assert np.array_equal(np.asarray(fresh.state[int(i)][name]), value)
