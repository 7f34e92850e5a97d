"""The recorded training step: its control flow with a stand-in for CuPy's streams (here,
without a GPU), and the real thing against eager steps where a GPU is."""
import contextlib
import sys
import types

import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit

cuda = pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")


class FakeCupy:
    """Streams that log what they are asked; a "recording" runs the step once on the CPU, a
    launch runs nothing (so a replay shows up only in the log and the host counts)."""

    def __init__(self):
        self.log = []
        log = self.log

        class Stream:
            def __init__(self, non_blocking):
                self.capturing = False

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def begin_capture(self):
                self.capturing = True
                log.append("begin")

            def end_capture(self):
                self.capturing = False
                log.append("end")
                return types.SimpleNamespace(launch=lambda stream: log.append("launch"))

            def synchronize(self):
                pass

        @contextlib.contextmanager
        def using_allocator(malloc):
            log.append("own pool")
            yield

        self.cuda = types.SimpleNamespace(Stream=Stream, MemoryPool=lambda: types.SimpleNamespace(malloc=None),
                                          using_allocator=using_allocator,
                                          Device=lambda: types.SimpleNamespace(synchronize=lambda: None))


@pytest.fixture
def fake(monkeypatch):
    cp = FakeCupy()
    monkeypatch.setitem(sys.modules, "cupy", cp)
    return cp


def _parts():
    mv.manual_seed(0)
    model = create("vae", x_dim=3, z_dim=2, hidden=[4])
    opt = mv.optim.FlatOptimizer(model.parameters(), lr=1e-2)
    seen = []

    def step(x, y):
        seen.append(np.array(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x))
        loss = model.loss(x)[0]
        model.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return model, opt, step, seen


def test_warm_up_eagerly_then_record_once_then_replay(fake):
    from minivae.train.graphs import StepGraphs
    _, opt, step, seen = _parts()
    said = []
    graphs = StepGraphs(say=said.append)
    batches = [np.full((4, 3), v, np.float32) for v in (0.1, 0.2, 0.3, 0.4)]
    graphs.step("model", step, opt, batches[0], None)     # eagerly: kernels compiled, counters made
    assert fake.log == [] and opt.inner.steps == 1
    recorded = graphs.step("model", step, opt, batches[1], None)
    assert fake.log == ["own pool", "begin", "end", "launch"] and opt.inner.steps == 2
    np.testing.assert_array_equal(seen[1], batches[1])   # recorded on the static copy of the batch
    for i, x in enumerate(batches[2:], 3):
        assert graphs.step("model", step, opt, x, None) is recorded   # the graph's loss, read after replay
        assert opt.inner.steps == i and opt.inner.state[0]["step"] == i
        np.testing.assert_array_equal(graphs.graphs["model"][1], x)   # the batch copied in
    assert len(seen) == 2 and fake.log.count("launch") == 3 and said == []
    graphs.step("model", step, opt, batches[0][:3], None)   # the last, smaller batch: eagerly
    assert len(seen) == 3 and fake.log.count("launch") == 3
    graphs.forget()
    graphs.step("model", step, opt, batches[0], None)       # recorded again (a new epoch)
    assert fake.log.count("begin") == 2 and len(seen) == 4


def test_a_step_that_cannot_be_recorded_runs_eagerly_and_says_why(fake):
    from minivae.train.graphs import StepGraphs
    _, opt, step, seen = _parts()
    said = []
    graphs = StepGraphs(say=said.append)
    x = np.full((4, 3), 0.5, np.float32)
    graphs.step("model", step, opt, x, None)

    def refuses(x, y):
        if fake.log[-1] == "begin":   # inside the recording: do half a step, then fail as cuBLAS does
            opt.inner.steps += 1
            raise NotImplementedError("calling cuBLAS API during stream capture is currently unsupported")
        return step(x, y)
    graphs.step("model", refuses, opt, x, None)
    assert said == ["training eagerly, without CUDA graphs: NotImplementedError: calling cuBLAS API during "
                    "stream capture is currently unsupported"]
    assert opt.inner.steps == 2 and len(seen) == 2   # the count put back, then one eager step
    graphs.step("model", refuses, opt, x, None)
    assert fake.log.count("begin") == 1 and len(said) == 1 and opt.inner.steps == 3


def test_labels_keep_steps_eager(fake):
    from minivae.train.graphs import StepGraphs
    said = []
    graphs = StepGraphs(say=said.append)
    calls = []
    for _ in range(3):
        graphs.step("model", lambda x, y: calls.append(y), None, np.zeros((2, 3)), np.array([0, 1]))
    assert len(calls) == 3 and "begin" not in fake.log and "labels" in said[0] and len(said) == 1


def test_graphs_need_a_model_on_cuda():
    model = create("vae", x_dim=2, z_dim=2, hidden=[4])
    with pytest.raises(ValueError, match="CUDA graphs need a model on cuda"):
        fit(model, np.zeros((8, 2), np.float32), epochs=1, progress=False, log=lambda r: None, graphs=True)


DATA = load_dataset("ring", n=600)


def _train_on(device, graphs, generator, epochs=2):
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,)).to(device)
    model.generator = generator
    history = fit(model, DATA.train, epochs=epochs, batch_size=64, progress=False, log=lambda r: None,
                  graphs=graphs)
    return model, history


@pytest.mark.cuda
@cuda
def test_replayed_steps_match_eager_steps_with_the_same_noise(capsys):
    from minivae.philox import DevicePhilox
    eager, eager_history = _train_on("cuda", False, DevicePhilox(0))
    replayed, history = _train_on("cuda", True, DevicePhilox(0))
    assert "training eagerly" not in capsys.readouterr().out
    for (name, a), b in zip(eager.state_dict().items(), replayed.state_dict().values()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=2e-4, err_msg=name)
    for h, e in zip(history, eager_history):
        assert h["train_loss"] == pytest.approx(e["train_loss"], rel=1e-5)


@pytest.mark.cuda
@cuda
def test_the_same_seed_gives_the_same_curve_on_cpu_and_gpu():
    from minivae.philox import DevicePhilox, Philox
    _, cpu = _train_on("cpu", False, Philox(0))
    _, gpu = _train_on("cuda", None, DevicePhilox(0))
    for c, g in zip(cpu, gpu):
        assert g["train_loss"] == pytest.approx(c["train_loss"], rel=1e-4)


@pytest.mark.cuda
@cuda
def test_a_model_with_labels_trains_eagerly_and_says_so(capsys):
    from minivae.models.cvae import ConditionalVAE
    data = load_dataset("mixture", n=300)
    model = ConditionalVAE(2, int(data.y_train.max()) + 1, z_dim=2, hidden=(8,)).to("cuda")
    fit(model, data.train, data.y_train, epochs=1, batch_size=50, progress=False, log=lambda r: None)
    assert "training eagerly, without CUDA graphs: the model's labels" in capsys.readouterr().out
