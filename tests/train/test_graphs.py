"""The recorded training step: its control flow with a stand-in for CuPy's streams (here,
without a GPU), and the real thing against eager steps where a GPU is."""
import numpy as np
import pytest
from fake_cupy import install

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit

cuda = pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch)


def _parts():
    mv.manual_seed(0)
    model = create("vae", x_dim=3, z_dim=2, hidden=[4])
    opt = mv.optim.FlatOptimizer(model.parameters(), lr=1e-2)
    seen = []

    def step(x, y):
        assert isinstance(x, mv.Tensor)   # the recorder hands the step a Tensor on the device
        seen.append(np.array(x.data))
        loss = model.loss(x)[0]
        model.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return model, opt, step, seen


def _warmed():
    """A recorder whose one player has taken its eager first step on x: (graphs, what it
    said, optimizer, step, batches the step saw, x)."""
    from minivae.train.graphs import StepGraphs
    _, opt, step, seen = _parts()
    said = []
    graphs = StepGraphs(say=said.append)
    x = np.full((4, 3), 0.5, np.float32)
    graphs.step("model", step, opt, x, None)
    return graphs, said, opt, step, seen, x


def test_warm_up_eagerly_then_record_once_then_replay(fake):
    from minivae.train.graphs import StepGraphs
    _, opt, step, seen = _parts()
    said = []
    graphs = StepGraphs(say=said.append)
    batches = [np.full((4, 3), v, np.float32) for v in (0.1, 0.2, 0.3, 0.4)]
    graphs.step("model", step, opt, batches[0], None)     # eagerly: kernels compiled, counters made
    assert fake.log == [] and opt.inner.steps == 1
    recorded = graphs.step("model", step, opt, batches[1], None)
    assert fake.log == ["allocator ('pool', 0)", "begin", "end", "launch"] and opt.inner.steps == 2
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
    graphs, said, opt, step, seen, x = _warmed()

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
def test_replayed_steps_match_eager_steps_with_the_same_noise(capsys, monkeypatch):
    """Stable by construction: the eager steps use our GEMM too (not cuBLAS, whose sums go in
    another order), so what differs is only the order of the bias gradients' atomic adds;
    the losses must agree closely, the parameters (where Adam magnifies float noise in
    near-zero gradients) to a looser bound."""
    from minivae.kernels.cuda import dense
    from minivae.philox import DevicePhilox
    monkeypatch.setattr(dense, "own_gemm", lambda: True)
    eager, eager_history = _train_on("cuda", False, DevicePhilox(0))
    replayed, history = _train_on("cuda", True, DevicePhilox(0))
    assert "training eagerly" not in capsys.readouterr().out
    for h, e in zip(history, eager_history):
        assert h["train_model"] == pytest.approx(e["train_model"], rel=1e-5)
    for (name, a), b in zip(eager.state_dict().items(), replayed.state_dict().values()):
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-3, err_msg=name)


@pytest.mark.cuda
@cuda
def test_a_non_finite_loss_in_a_replayed_step_keeps_the_last_good_parameters():
    """The replays' losses are read only every few steps, after their updates are queued:
    the update itself is skipped on the device where the loss is not finite."""
    from minivae.train.trainer import TrainingDiverged, _epoch_seed
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,)).to("cuda")
    x = DATA.train.copy()
    order = np.random.default_rng(_epoch_seed(0, 1)).permutation(len(x))   # the trainer's first epoch
    x[order[192:256]] = np.nan   # batch 4: after the eager step and the recording, a replay
    with pytest.raises(TrainingDiverged, match="the model loss became nan in epoch 1"):
        fit(model, x, epochs=1, batch_size=64, progress=False, log=lambda r: None, graphs=True)
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


@pytest.mark.cuda
@cuda
def test_batch_norm_statistics_are_those_the_replays_computed():
    """The running statistics are updated in place, so the arrays evaluation reads are the
    ones each replay writes. With lr = 1e-30 the parameters stay put (to float32's
    precision) and the statistics are a
    function of the batches alone: a recorded fit and an eager one must end with the same
    ones (with training on, Adam magnifies the float noise of the parameters into the
    statistics, 5% on this GPU). Were the replays to write elsewhere, the buffers would hold
    the eager steps' updates alone."""
    from minivae.philox import DevicePhilox
    runs = []
    for graphs in (False, True):
        mv.manual_seed(0)
        model = create("vae", x_dim=2, z_dim=2, hidden=(16,), batchnorm=True).to("cuda")
        model.generator = DevicePhilox(0)
        fit(model, DATA.train, epochs=2, batch_size=64, lr=1e-30, progress=False, log=lambda r: None, graphs=graphs)
        runs.append({k: v for k, v in model.state_dict().items() if "running" in k})
    assert runs[0]
    for name, eager in runs[0].items():
        assert not np.allclose(eager, 0.0 if "mean" in name else 1.0, atol=1e-3), name   # trained statistics
        np.testing.assert_allclose(runs[1][name], eager, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.cuda
@cuda
def test_the_same_seed_gives_the_same_curve_on_cpu_and_gpu():
    from minivae.philox import DevicePhilox, Philox
    _, cpu = _train_on("cpu", False, Philox(0))
    _, gpu = _train_on("cuda", None, DevicePhilox(0))
    for c, g in zip(cpu, gpu):
        assert g["train_model"] == pytest.approx(c["train_model"], rel=1e-4)


@pytest.mark.cuda
@cuda
def test_a_model_with_labels_trains_eagerly_and_says_so(capsys):
    from minivae.models.cvae import ConditionalVAE
    data = load_dataset("mixture", n=300)
    model = ConditionalVAE(2, int(data.y_train.max()) + 1, z_dim=2, hidden=(8,)).to("cuda")
    fit(model, data.train, data.y_train, epochs=1, batch_size=50, progress=False, log=lambda r: None)
    assert "training eagerly, without CUDA graphs: the model's labels" in capsys.readouterr().out


def test_each_players_graph_records_into_a_pool_of_its_own(fake):
    from minivae.train.graphs import StepGraphs
    _, opt, step, _ = _parts()
    graphs = StepGraphs(say=pytest.fail)
    x = np.full((4, 3), 0.5, np.float32)
    for player in ("a", "b", "a", "b"):
        graphs.step(player, step, opt, x, None)
    assert [line for line in fake.log if line.startswith("allocator")] == ["allocator ('pool', 0)",
                                                                            "allocator ('pool', 1)"]


def test_a_host_batch_of_another_dtype_becomes_a_float32_device_array_before_recording(fake):
    from minivae.train.graphs import StepGraphs
    _, opt, step, seen = _parts()
    graphs = StepGraphs(say=pytest.fail)
    x = np.asfortranarray(np.full((4, 3), 0.25))            # float64, not C-contiguous
    for _ in range(3):
        graphs.step("model", step, opt, x, None)
    static = graphs.graphs["model"][1]
    assert static.dtype == np.float32 and static.flags.c_contiguous
    assert all(s.dtype == np.float32 for s in seen)


def test_a_failed_capture_reports_the_steps_error_and_forgets_what_it_made(fake):
    graphs, said, opt, step, _, x = _warmed()
    before = {k: v.copy() if hasattr(v, "copy") else v for k, v in opt.inner.state[0].items()}
    fake.capture_error = RuntimeError("cudaErrorStreamCaptureInvalidated")   # what end_capture says after

    def fails(x, y):
        if fake.capturing:   # a buffer made inside the capture (never written), then a refusal
            opt.inner.state[0]["m"] = np.full_like(opt.inner.state[0]["m"], np.nan)
            raise NotImplementedError("calling cuBLAS API during stream capture is currently unsupported")
        return step(x, y)
    graphs.step("model", fails, opt, x, None)
    assert said == ["training eagerly, without CUDA graphs: NotImplementedError: calling cuBLAS API during "
                    "stream capture is currently unsupported"]
    assert np.isfinite(opt.inner.state[0]["m"]).all()                # the capture's buffer is gone
    assert opt.inner.state[0]["step"] == before["step"] + 1          # then one eager step from the old state


def test_an_end_capture_error_alone_is_reported(fake):
    graphs, said, opt, step, _, x = _warmed()
    fake.capture_error = RuntimeError("operation not permitted when stream is capturing")
    graphs.step("model", step, opt, x, None)
    assert said == ["training eagerly, without CUDA graphs: RuntimeError: operation not permitted when stream "
                    "is capturing"]


def test_a_recorded_step_gates_its_update_on_its_loss():
    """While recording, the trainer's step cannot read its loss: it hands the loss to the
    optimizer, whose kernels skip the update on the device where it is not finite."""
    from minivae.train.trainer import _step
    model = create("vae", x_dim=3, z_dim=2, hidden=[4])
    calls = []

    class Optimizer:
        def step(self, **kwargs):
            calls.append(kwargs)
    x = np.full((4, 3), 0.5, np.float32)
    recording = [True]
    step = _step(model, Optimizer(), "model", lambda: recording[0])
    loss = step(x, None)
    assert isinstance(loss, mv.Tensor) and calls[0]["gate"] is loss.data
    recording[0] = False
    assert isinstance(step(x, None), float) and calls[1] == {}


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("name, kwargs", [("gan", {}), ("aae", {}), ("aae", {"prior": "mixture"}),
                                          ("clustering-aae", {"n_clusters": 3}), ("vaegan", {})])
def test_adversarial_models_record_their_steps(capsys, name, kwargs):
    """Their targets and prior draws are made on the device: no copy from the host, which
    a capture refuses, so every player's step is recorded rather than run eagerly."""
    mv.manual_seed(0)
    model = create(name, x_dim=2, z_dim=2, hidden=(16,), **kwargs).to("cuda")
    fit(model, DATA.train, epochs=1, batch_size=64, progress=False, log=lambda r: None, graphs=True)
    assert "training eagerly" not in capsys.readouterr().out


@pytest.mark.parametrize("likelihood, fused", [("bernoulli", ("bce_with_logits_rows", "bce_with_logits_backward")),
                                               ("gaussian", ("gaussian_nll_rows", "gaussian_nll_rows_backward"))])
def test_the_recorded_step_of_a_vae_copies_nothing_from_the_host(fake_device, likelihood, fused):
    """``fit``'s recorded step of a VAE on the fake CuPy with device arrays, every launch
    counted: the numbers in its loss filled in on the device (a copy from the host's staging
    buffer would be read again at every replay), no copy or zero fill (every gradient,
    the learned log-variance's too, written into the flat buffer by its op), and our
    kernels: 11 GEMMs (2 split), 4 dense backward, the fused reparameterization and
    likelihood, one Philox draw, Adam."""
    from collections import Counter
    mv.manual_seed(0)
    model = create("vae", x_dim=784, z_dim=20, hidden=[400], likelihood=likelihood).to("cuda")
    x = (np.random.default_rng(0).random((256, 784)) < 0.3).astype(np.float32)
    fit(model, x, epochs=1, batch_size=128, progress=False, log=lambda record: None)
    counts = Counter(fake_device.captured)
    assert not {name for kind, name in counts if kind == "cupy"} & {"host_to_device", "copy", "zeros", "take"}
    assert {name: n for (kind, name), n in counts.items() if kind == "own"} == {
        "gemm_bias_act": 11, "gemm_split_k_sum": 2, "dense_act_grad_bias": 4, "reparameterize_kl_forward": 1,
        "reparameterize_kl_backward": 1, fused[0]: 1, fused[1]: 1, "philox_normal": 1, "advance_counter": 1,
        "adam_step_counted": 1, "advance_step": 1}
