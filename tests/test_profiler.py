"""minivae.profile(): rows by op, their FLOPs and bytes from shapes, the machine's limits
cached as untrusted input, and a training step's profile that adds up."""
import json
import math

import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae import profiler
from minivae.models import create

LIMITS = {"flops": 100e9, "bandwidth": 10e9, "cache_bandwidth": 40e9, "what": "test"}


def _row(p, op, phase):
    found = [r for r in p.rows() if r["op"] == op and r["phase"] == phase]
    assert len(found) == 1, p.table()
    return found[0]


def test_dense_counts_its_products_and_says_what_ran_it():
    n, k, m = 64, 50, 30
    x = mv.tensor(np.ones((n, k), np.float32))
    W = mv.tensor(np.ones((k, m), np.float32), requires_grad=True)
    b = mv.tensor(np.zeros(m, np.float32), requires_grad=True)
    with mv.profile(peaks=LIMITS) as p:
        F.dense(x, W, b, "relu").sum().backward()
    forward, backward = _row(p, "dense", "forward"), _row(p, "dense", "backward")
    assert forward["flops"] == 2 * n * k * m + 2 * n * m
    assert forward["bytes"] == 4 * (n * k + k * m + m + n * m)
    assert backward["flops"] == 2 * n * k * m + 2 * n * m   # dW only: x needs no gradient
    assert forward["implementation"] == "Numba + BLAS"
    assert forward["shapes"] == "(64, 50) (50, 30) (30,)"
    rate = forward["flops"] / forward["seconds"]
    assert forward["gflops"] == pytest.approx(rate / 1e9)
    roof = min(LIMITS["flops"], forward["intensity"] * LIMITS["bandwidth"])
    assert forward["of_roof"] == pytest.approx(rate / roof)


def test_the_reference_path_shows_the_ops_that_ran():
    x, W = mv.tensor(np.ones((8, 5), np.float32)), mv.tensor(np.ones((5, 3), np.float32), requires_grad=True)
    mv.set_kernels("reference")
    try:
        with mv.profile(peaks=LIMITS) as p:
            F.dense(x, W, activation="relu").sum().backward()
    finally:
        mv.set_kernels("fast")
    ops = {r["op"] for r in p.rows()}
    assert "dense" not in ops and {"matmul", "relu"} <= ops
    assert _row(p, "matmul", "forward")["implementation"] == "NumPy + BLAS"
    assert _row(p, "matmul", "forward")["flops"] == 2 * 8 * 5 * 3


def test_conv_flops_are_the_multiply_adds_of_the_definition():
    n, c, o, h, kh = 2, 3, 4, 9, 3
    x = mv.tensor(np.ones((n, c, h, h), np.float32), requires_grad=True)
    w = mv.tensor(np.ones((o, c, kh, kh), np.float32), requires_grad=True)
    with mv.profile(peaks=LIMITS) as p:
        y = F.conv2d(x, w, stride=2, padding=1)
        y.sum().backward()
    oh = (h + 2 - kh) // 2 + 1
    per_product = 2 * n * o * oh * oh * c * kh * kh   # one multiply-add per weight per output
    forward = [r for r in p.rows() if r["phase"] == "forward" and r["op"].startswith("conv")]
    backward = [r for r in p.rows() if r["phase"] == "backward" and r["op"].startswith("conv")]
    assert [r["flops"] - per_product for r in forward] in ([0], [2 * n * o * oh * oh])   # + bias and act if fused
    assert [r["flops"] - 2 * per_product for r in backward] in ([0], [2 * n * o * oh * oh])


def test_rows_add_calls_and_time_per_op_and_shape():
    x = mv.tensor(np.ones((10, 10), np.float32))
    y = mv.tensor(np.ones((3, 3), np.float32))
    with mv.profile(peaks=LIMITS) as p:
        for _ in range(3):
            x * 2.0
        y * 2.0
    rows = {r["shapes"]: r for r in p.rows() if r["op"] == "mul"}
    assert rows["(10, 10) ()"]["calls"] == 3 and rows["(3, 3) ()"]["calls"] == 1
    assert sum(r["seconds"] for r in p.rows()) == pytest.approx(p.total())
    assert p.rows()[0]["seconds"] >= p.rows()[-1]["seconds"]


def test_profiles_do_not_nest():
    with mv.profile(peaks=LIMITS):
        with pytest.raises(RuntimeError, match="do not nest"):
            with mv.profile(peaks=LIMITS):
                pass


def test_a_training_step_adds_up_and_the_optimizer_is_in_it(tmp_path):
    mv.manual_seed(0)
    model = create("vae", x_dim=64, z_dim=4, hidden=[32], likelihood="bernoulli")
    x = (np.random.default_rng(0).random((40, 64)) > 0.5).astype(np.float32)
    p, step = profiler.profile_training(model, x, batch_size=20, steps=2, rounds=2, peaks=LIMITS)
    assert p.steps == 4 and step > 0
    phases = {r["phase"] for r in p.rows()}
    assert {"forward", "backward", "optimizer"} <= phases
    adam = [r for r in p.rows() if r["op"] == "adam update"]
    assert sum(r["calls"] for r in adam) == 4 * len(model.parameters())   # each parameter's update a step
    assert 0 < p.total() <= p.seconds
    with open(p.save(str(tmp_path / "p.json"))) as f:
        saved = json.load(f)
    assert saved["steps"] == 4 and saved["step_seconds_unprofiled"] == step and len(saved["rows"]) == len(p.rows())


def test_the_limits_are_measured_once_then_read_and_a_bad_cache_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setenv(profiler.CACHE_ENV, str(tmp_path))
    calls = []
    monkeypatch.setattr(profiler, "_gemm_rate", lambda device: calls.append("gemm") or 5e10)
    monkeypatch.setattr(profiler, "_bandwidth", lambda device, *a, **k: calls.append("copy") or 2e10)
    first = profiler.peaks()
    assert first["flops"] == 5e10 and first["bandwidth"] == 2e10 and len(calls) == 3
    assert profiler.peaks() == first and len(calls) == 3   # from the cache
    path = tmp_path / "peaks.json"
    for bad in ("{not json", json.dumps({first["what"]: {"flops": -1, "bandwidth": 1, "cache_bandwidth": 1}}),
                json.dumps({first["what"]: {"flops": "NaN", "bandwidth": 1, "cache_bandwidth": 1}}),
                json.dumps([1, 2])):
        path.write_text(bad)
        assert profiler.peaks() == first
    assert len(calls) == 3 + 4 * 3
    assert all(math.isfinite(v) for v in json.loads(path.read_text())[first["what"]].values() if isinstance(v, float))


def test_a_view_costs_nothing_and_a_copy_no_arithmetic():
    """A reshape or transpose returns a view: rated by moved bytes it would run at any speed
    (points far above the roofline); a join copies, and computes nothing."""
    x = mv.tensor(np.ones((8, 6), np.float32), requires_grad=True)
    with mv.profile(peaks=LIMITS) as p:
        y = F.concat([x.reshape(6, 8).transpose(), x], 0)
        y.sum().backward()
    for op in ("reshape", "transpose"):
        for phase in ("forward", "backward"):
            assert (_row(p, op, phase)["flops"], _row(p, op, phase)["bytes"]) == (0, 0)
    assert _row(p, "concat", "forward")["flops"] == 0 and _row(p, "concat", "forward")["bytes"] == 2 * 2 * 48 * 4
