import json
import os
import re

import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import TrainingDiverged, fit, load_model

DATA = load_dataset("ring", n=1500)


def _run(epochs, out, resume=False, **kwargs):
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    history = fit(model, DATA.train, valid=DATA.valid, epochs=epochs, out=out, resume=resume,
                  progress=False, log=lambda s: None, **kwargs)
    return model, history


def test_resume_is_bit_identical(tmp_path):
    straight, _ = _run(6, str(tmp_path / "a"))
    _run(3, str(tmp_path / "b"))
    resumed, history = _run(6, str(tmp_path / "b"), resume=True)
    for (name, p), q in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert p.tobytes() == q.tobytes(), name
    assert [h["epoch"] for h in history] == list(range(1, 7))


def test_the_noise_of_a_fit_is_the_counter_generators_of_its_seed():
    """A model left with the default generator trains on Philox(seed)'s draws, the same bits
    the GPU's DevicePhilox draws: a seed gives one run on either device (the cuda-marked
    tests hold the GPU to it). The model keeps its own generator afterwards."""
    from minivae.philox import Philox
    runs = []
    for generator in (None, Philox(7), mv.backend.Generator(7)):
        mv.manual_seed(0)
        model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
        if generator is not None:
            model.generator = generator
        before = model.generator
        runs.append(fit(model, DATA.train, epochs=2, seed=7, progress=False, log=lambda s: None))
        assert model.generator is before
    assert [h["train_model"] for h in runs[0]] == [h["train_model"] for h in runs[1]]
    assert [h["train_model"] for h in runs[0]] != [h["train_model"] for h in runs[2]]   # a generator of one's own


def test_checkpoint_metrics_and_rebuild(tmp_path):
    model, history = _run(3, str(tmp_path))
    lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [l["epoch"] for l in lines] == [1, 2, 3] and "valid_loss" in lines[0]
    rebuilt, header = load_model(str(tmp_path / "checkpoint.npz"))
    assert header["epoch"] == 3 and type(rebuilt) is type(model)
    x = mv.tensor(DATA.valid[:5])
    np.testing.assert_array_equal(rebuilt.code(x).numpy(), model.code(x).numpy())
    assert os.path.exists(tmp_path / "best.npz")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # the point of the test
def test_nan_guard_keeps_the_last_good_checkpoint(tmp_path):
    _run(2, str(tmp_path))
    before = (tmp_path / "checkpoint.npz").read_bytes()
    bad = DATA.train.copy()
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    model.encoder[0].weight.data[:] = np.inf   # the next forward pass is not finite
    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf) in epoch 1; the last good checkpoint is"):
        fit(model, bad, epochs=4, out=str(tmp_path), progress=False, log=lambda s: None)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before


def test_early_stopping_and_warmup(tmp_path):
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    history = fit(model, DATA.train, valid=DATA.valid, epochs=50, lr=0.5, patience=2,
                  progress=False, log=lambda s: None)   # a rate too high to keep improving
    assert len(history) < 50
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    history = fit(model, DATA.train, epochs=3, warmup_epochs=2, progress=False, log=lambda s: None)
    assert [h["beta"] for h in history] == [0.0, 0.5, 1.0] and model.beta == 1.0


def test_staged_schedule_sets_the_rate():
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(8,))
    history = fit(model, DATA.train[:200], epochs=5, lr=1e-3, schedule="staged", progress=False, log=lambda s: None)
    np.testing.assert_allclose([h["lr"] for h in history], 1e-3 * 10 ** (-np.array([0, 1, 1, 1, 2]) / 7))


def test_bad_arguments(tmp_path):
    model = create("vae", x_dim=2)
    with pytest.raises(ValueError, match="nothing to resume"):
        fit(model, DATA.train, out=str(tmp_path), resume=True, progress=False)
    with pytest.raises(ValueError, match="schedule must be"):
        fit(model, DATA.train, schedule="cosine", progress=False)


def test_resuming_with_other_settings_is_refused_unless_forced(tmp_path):
    out = str(tmp_path / "r")
    _run(2, out)
    for change, name in (({"seed": 1}, "seed 1 (the run has 0)"), ({"lr": 0.01}, "lr 0.01"),
                         ({"batch_size": 50}, "batch_size 50")):
        with pytest.raises(ValueError, match=re.escape(f"resuming with {name}") + ".*would not continue"):
            _run(4, out, resume=True, **change)
    _, history = _run(3, out, resume=True, seed=1, force=True)
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_resuming_a_finished_run_says_so(tmp_path):
    out = str(tmp_path / "r")
    _run(4, out)
    with pytest.raises(ValueError, match="already holds 4 epochs; epochs=2 asks for no more"):
        _run(2, out, resume=True)


def test_a_fresh_run_into_a_used_folder_starts_a_fresh_log(tmp_path):
    out = tmp_path / "r"
    _run(2, str(out))
    _run(3, str(out))
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3
    assert len((out / "metrics-previous-1.jsonl").read_text().splitlines()) == 2


def test_stale_temporaries_are_cleaned_and_a_second_run_is_refused(tmp_path):
    """A SIGKILL during a checkpoint write leaves a .tmp-*.npz; the next run removes it. While
    a run holds the folder (here: the lock taken by hand), another is refused."""
    import subprocess
    import sys
    out = tmp_path / "r"
    out.mkdir()
    (out / ".tmp-abc123.npz").write_bytes(b"")
    _run(1, str(out))
    assert not list(out.glob(".tmp-*"))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from minivae.train.lock import run_folder\n"
        f"with run_folder({str(out)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ValueError, match=r"another run is writing there \(pid \d+\)"):
            _run(2, str(out), resume=True)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    _run(2, str(out), resume=True)   # the lock went with the process that held it


def test_a_run_that_ends_removes_its_lock_and_a_removed_lock_is_not_held(tmp_path, monkeypatch):
    """A clean exit (or an exception) leaves no .lock behind (issue 24). A lock taken on a
    file that its holder removed in the meantime does not count: the run locks anew."""
    from minivae.train import lock
    out = tmp_path / "r"
    _run(1, str(out))
    assert not (out / ".lock").exists()
    with pytest.raises(RuntimeError):
        with lock.run_folder(str(out)):
            assert (out / ".lock").read_text().startswith("pid ")
            raise RuntimeError
    assert not (out / ".lock").exists()
    opened = []

    plain = lock._open

    def racing_open(path):   # the first file opened is removed before it is locked
        f = plain(path)
        opened.append(os.fstat(f.fileno()).st_ino)
        if len(opened) == 1:
            os.unlink(path)
        return f
    monkeypatch.setattr(lock, "_open", racing_open)
    with lock.run_folder(str(out)):
        assert len(opened) == 2 and os.stat(out / ".lock").st_ino == opened[1]


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop"])
def test_the_optimizer_can_be_sgd_or_adagrad_as_in_aevb(name, tmp_path):
    """One full-batch step of fit with SGD (or Adagrad, or RMSprop, VAE/GAN's) is that
    optimizer's update of the gradient at the start: p - lr g (Adagrad's first step:
    p - lr g / (|g| + eps); RMSprop's: p - lr g / (sqrt(0.1) |g| + eps))."""
    x = DATA.train[:64]
    mv.manual_seed(0)
    model = create("ae", x_dim=2, z_dim=1, hidden=(8,))
    start = {k: v.copy() for k, v in model.state_dict().items()}
    loss, _ = model.loss(x)
    params = list(model.parameters())
    grads = {id(p): g.numpy() for p, g in zip(params, mv.grad(loss, params))}
    fit(model, x, epochs=1, batch_size=64, lr=0.1, optimizer=name, progress=False, log=lambda r: None,
        out=str(tmp_path))
    for (key, p) in model.named_parameters():
        g = grads[id(p)]
        step = {"sgd": g, "adagrad": g / (np.abs(g) + 1e-10), "rmsprop": g / (np.sqrt(0.1) * np.abs(g) + 1e-8)}[name]
        np.testing.assert_allclose(p.numpy(), start[key] - 0.1 * step, rtol=1e-4, atol=1e-6, err_msg=key)
    with pytest.raises(ValueError, match="optimizer adam \\(the run has " + name):
        fit(model, x, epochs=2, batch_size=64, lr=0.1, progress=False, log=lambda r: None, out=str(tmp_path),
            resume=True)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        fit(model, x, optimizer="lbfgs", progress=False)


def test_the_dataset_loss_scale_steps_on_n_over_m_times_the_batch_sum(tmp_path):
    """AEVB's Eq. 8: with N examples in batches of M, the step descends (N/M) sum_i L(x_i) =
    N times the batch mean; under SGD that is the mean's step at N times the rate. The logged
    losses stay per example."""
    x = DATA.train[:96]
    runs = {}
    for scale, lr in (("dataset", 1e-3), ("example", 1e-3 * 96), ("example", 1e-3)):
        mv.manual_seed(0)
        model = create("ae", x_dim=2, z_dim=1, hidden=(8,))
        history = fit(model, x, epochs=2, batch_size=32, lr=lr, optimizer="sgd", loss_scale=scale, progress=False,
                      log=lambda r: None, out=str(tmp_path / f"{scale}-{lr}"))
        runs[scale, lr] = model.state_dict(), next(v for k, v in history[0].items() if k.startswith("train_"))
    (scaled, loss_scaled), (by_rate, _), (plain, loss_plain) = runs.values()
    for key in scaled:
        np.testing.assert_allclose(scaled[key], by_rate[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert not np.allclose(scaled["encoder.0.weight"], plain["encoder.0.weight"])
    assert loss_scaled < 10 * loss_plain                                  # per example, not summed
    with pytest.raises(ValueError, match="loss_scale must be 'example' or 'dataset'"):
        fit(model, x, loss_scale="sum", progress=False)
    with pytest.raises(ValueError, match="loss_scale example \\(the run has dataset"):
        fit(model, x, epochs=3, batch_size=32, lr=1e-3, optimizer="sgd", progress=False, log=lambda r: None,
            out=str(tmp_path / "dataset-0.001"), resume=True)


def test_a_non_finite_loss_stops_before_the_update():
    """The model keeps the parameters it had when the loss became NaN: no NaN step is taken."""
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    x = DATA.train[:200].copy()
    x[150] = 1e30   # the batch holding it makes the loss infinite
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingDiverged), np.errstate(over="ignore"):
        fit(model, x, epochs=1, batch_size=200, progress=False, log=lambda s: None)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_fit_tells_the_model_each_epoch_it_begins_and_a_resumed_run_goes_on_counting(monkeypatch, tmp_path):
    """Model.begin_epoch: an adversarial autoencoder's opening (its lambda 100 for two epochs)
    is set from the epoch fit is in, also after a resume."""
    mv.manual_seed(0)
    model = create("aae", x_dim=2, z_dim=2, hidden=(8,))
    seen = []
    original = model.begin_epoch
    monkeypatch.setattr(model, "begin_epoch", lambda epoch: (seen.append(epoch), original(epoch)))
    weights = []
    fit(model, DATA.train[:200], epochs=2, batch_size=100, progress=False, out=str(tmp_path),
        log=lambda record: weights.append(model.weight_now))
    fit(model, DATA.train[:200], epochs=3, batch_size=100, progress=False, out=str(tmp_path), resume=True,
        log=lambda record: weights.append(model.weight_now))
    assert seen == [1, 2, 3] and weights == [100.0, 100.0, 30.0]


def test_a_player_steps_as_often_and_with_the_adam_settings_its_model_declares(monkeypatch):
    """Model.player_steps and Model.player_adam: an AAE's critic stepped three times a batch
    with Adam's beta1 halved; the autoencoder once, with the defaults (or fit's ``adam``)."""
    from minivae import optim
    mv.manual_seed(0)
    model = create("aae", x_dim=2, z_dim=2, hidden=(8,), critic_steps=3)
    calls, made = {}, {}
    original_losses, original_adam = model.losses, optim.OPTIMIZERS["adam"]

    def counted(x, y=None, player=None):
        calls[player] = calls.get(player, 0) + 1
        return original_losses(x, y, player)

    def adam(params, **settings):
        opt = original_adam(params, **settings)
        made[len(made)] = settings
        return opt
    monkeypatch.setattr(model, "losses", counted)
    monkeypatch.setitem(optim.OPTIMIZERS, "adam", adam)
    fit(model, DATA.train[:200], epochs=1, batch_size=100, progress=False, log=lambda s: None,
        adam={"eps": 1e-6})
    assert calls == {"autoencoder": 2, "discriminator": 6}
    by_player = dict(zip(model.players(), made.values()))
    assert by_player["discriminator"] == {"lr": 1e-3, "betas": (0.5, 0.999), "eps": 1e-6}
    assert by_player["autoencoder"] == {"lr": 1e-3, "eps": 1e-6}


@pytest.mark.parametrize("planted", ["metrics.jsonl", "checkpoint.npz", "best.npz"])
def test_a_link_planted_in_the_run_folder_is_refused_before_any_work(tmp_path, planted):
    outside = tmp_path / "outside"
    outside.write_text("the user's")
    out = tmp_path / "run"
    out.mkdir()
    (out / planted).symlink_to(outside)
    with pytest.raises(ValueError, match="symbolic link"):
        _run(1, str(out))
    assert outside.read_text() == "the user's" and os.listdir(out) == [planted]


def test_metrics_are_the_checkpoints_history_line_for_line(tmp_path):
    """metrics.jsonl is rewritten whole after each checkpoint, so a kill between the two
    loses no line for good: the resumed run writes them all again from the checkpoint."""
    out = tmp_path / "run"
    _run(2, str(out))
    (out / "metrics.jsonl").write_text('{"epoch": 1}\n')   # as if killed before the second line
    _, history = _run(3, str(out), resume=True)
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines == json.loads(json.dumps(history)) and [r["epoch"] for r in lines] == [1, 2, 3]


def test_a_divergence_in_an_epochs_last_step_is_caught_before_it_is_saved(tmp_path):
    """Issue 35, row 5: one step an epoch at lr 100,000. The step's own loss is finite; the
    parameters it leaves are not, or the validation loss is not. The run stops before that
    epoch's checkpoint, naming the one that is the last good; metrics.jsonl is strict JSON."""
    out = tmp_path / "run"
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    with pytest.raises(TrainingDiverged, match="became .* after epoch (\\d+); (nothing was saved|the last good "
                                               "checkpoint is .*checkpoint.npz \\(epoch \\d+\\))") as caught:
        fit(model, DATA.train, valid=DATA.valid, epochs=20, batch_size=len(DATA.train), lr=1e5, out=str(out),
            progress=False, log=lambda s: None)
    epoch = int(re.search(r"after epoch (\d+)", str(caught.value))[1])
    assert epoch >= 2, caught.value   # measured: epoch 3, the validation loss inf
    model, header = load_model(str(out / "checkpoint.npz"))
    assert header["epoch"] == epoch - 1 and f"(epoch {epoch - 1})" in str(caught.value)
    records = [json.loads(line, parse_constant=lambda c: pytest.fail(f"metrics.jsonl holds {c}"))
               for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, epoch))


def test_a_gans_summed_losses_pick_no_best_and_stop_nothing(tmp_path):
    """A GAN's loss ranks no epoch (Model.loss_ranks): fit keeps no best.npz for it and
    refuses to stop early by it; each player's losses are still reported."""
    mv.manual_seed(0)
    gan = create("gan", x_dim=2, z_dim=2, hidden=(8,), disc_hidden=(8, 4), likelihood="gaussian")
    history = fit(gan, DATA.train[:300], valid=DATA.valid[:100], epochs=2, out=str(tmp_path), progress=False,
                  log=lambda s: None)
    assert {"train_generator", "train_discriminator", "valid_generator", "valid_discriminator"} <= set(history[-1])
    assert os.path.exists(tmp_path / "checkpoint.npz") and not os.path.exists(tmp_path / "best.npz")
    with pytest.raises(ValueError, match="GAN's loss ranks no epoch"):
        fit(gan, DATA.train[:300], valid=DATA.valid[:100], epochs=2, patience=1, progress=False, log=lambda s: None)
    vae = create("vae", x_dim=2, z_dim=2, hidden=(8,), likelihood="gaussian")
    fit(vae, DATA.train[:300], valid=DATA.valid[:100], epochs=1, out=str(tmp_path / "vae"), progress=False,
        log=lambda s: None)
    assert os.path.exists(tmp_path / "vae" / "best.npz")
