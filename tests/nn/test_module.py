import os

import numpy as np
import pytest

import minivae as mv
from minivae import nn


def _net():
    mv.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))


def test_named_parameters_and_buffers():
    net = _net()
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]
    assert [n for n, _ in net.named_buffers()] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert len(net.parameters()) == 6


def test_train_eval_reaches_every_submodule():
    net = _net().eval()
    assert all(not m.training for _, m in net.named_modules())
    net.train()
    assert all(m.training for _, m in net.named_modules())


def test_state_dict_round_trip_is_bit_exact(tmp_path):
    net = _net()
    net(mv.tensor(np.random.default_rng(1).standard_normal((5, 3))))   # moves running stats
    path = tmp_path / "net.npz"
    net.save(path)
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).load(path)
    for (name, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    x = mv.tensor(np.ones((2, 3)))
    net.eval(), other.eval()
    assert net(x).numpy().tobytes() == other(x).numpy().tobytes()


def test_load_state_dict_names_the_problem():
    net = _net()
    state = net.state_dict()
    state["0.weight"] = np.zeros((5, 4), np.float32)
    with pytest.raises(ValueError, match=r"0.weight has shape \(5, 4\), the module expects \(3, 4\)"):
        net.load_state_dict(state)
    del state["0.weight"]
    with pytest.raises(ValueError, match=r"missing keys \['0.weight'\]"):
        net.load_state_dict(state)


def test_load_keeps_parameter_objects_for_the_optimizer():
    net = _net()
    before = net.parameters()
    net.load_state_dict(_net().state_dict())
    assert all(a is b for a, b in zip(before, net.parameters()))


def test_save_is_atomic(tmp_path, monkeypatch):
    """A failed write leaves the old file whole and no temporary file behind."""
    net = _net()
    path = tmp_path / "net.npz"
    net.save(path)
    original = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        net.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["net.npz"]


def test_saved_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "net.npz"
        _net().save(path)
        assert (path.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(umask)


def test_module_without_super_init():
    class Bad(nn.Module):
        def __init__(self):
            self.size = 3                    # a plain attribute is fine before super().__init__
            self.layer = nn.Linear(2, 2)     # a submodule is not: it could not be registered

    with pytest.raises(RuntimeError, match="must call super.* before assigning layer"):
        Bad()


@pytest.mark.parametrize("value, message", [
    (lambda a: np.full(a.shape, 1e300), "holds NaN or infinite values \\(as float32\\)"),
    (lambda a: a.astype(np.complex64), "holds complex64 values, not real numbers"),
    (lambda a: np.full(a.shape, "1"), "not real numbers"),
    (lambda a: a.reshape(-1)[:1], "has shape"),
])
def test_a_state_that_does_not_fit_is_refused_and_nothing_is_copied(value, message):
    """Checked after the cast to the module's dtype (a float64 1e300 is inf in float32) and
    before any copy: a refused state leaves the module as it was."""
    from minivae.nn import MLP
    module = MLP([3, 4, 2])
    before = module.state_dict()
    bad = dict(before)
    first, last = sorted(bad)[0], sorted(bad)[-1]
    bad[first] = bad[first] + 1.0
    bad[last] = value(bad[last])
    with pytest.raises(ValueError, match=message):
        module.load_state_dict(bad)
    for name, array in module.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
