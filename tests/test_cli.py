"""The minivae command, run as a user runs it."""
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "minivae.cli", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def _user_error(out, pattern):
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), out.stderr


def test_demo_writes_pictures_metrics_and_a_falling_elbo(tmp_path):
    out = _run("demo", "--epochs", "6", "--n", "3000", "--out", str(tmp_path / "d"), "--quiet")
    assert out.returncode == 0, out.stderr
    values = [float(v) for v in re.findall(r"-ELBO train\s+([\d.]+)", out.stdout)]
    assert len(values) == 6 and values[-1] < values[0] - 10
    files = set(os.listdir(tmp_path / "d"))
    assert {"latent.png", "samples.png", "reconstructions.png", "manifold.png", "metrics.json",
            "checkpoint.npz"} <= files
    metrics = json.loads((tmp_path / "d" / "metrics.json").read_text())
    assert metrics["valid_L_100"] > metrics["valid_elbo"]          # L_k tightens the bound
    # each active unit is labelled with the known factor it carries most information about
    info = metrics["mutual_information_nats"]
    assert metrics["active_units"] >= 2 and len(metrics["unit_tracks"]) == metrics["active_units"]
    for unit, factor in metrics["unit_tracks"].items():
        assert factor == max(info[unit], key=info[unit].get)
    assert 0 <= metrics["mig"] <= 1 and "MIG" in out.stdout and "traversal.png" in files
    for name in ("latent.png", "manifold.png"):
        assert (tmp_path / "d" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_default_folder_never_overwrites(tmp_path):
    (tmp_path / "minivae-demo").mkdir()
    (tmp_path / "minivae-demo" / "keep.txt").write_text("mine")
    out = _run("demo", "--epochs", "1", "--n", "500", "--quiet", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "minivae-demo" / "keep.txt").read_text() == "mine"
    assert (tmp_path / "minivae-demo-1" / "metrics.json").exists()


def test_models_lists_the_registry():
    from minivae.models import MODELS   # its names pinned in tests/models/test_autoencoder.py
    out = _run("models")
    assert out.returncode == 0 and out.stdout.split() == list(MODELS)


def test_train_resume_eval_sample(tmp_path):
    run = str(tmp_path / "run")
    out = _run("train", "iwae", "--data", "ring", "--epochs", "2", "--k", "3", "--out", run, "--quiet",
               "--no-pictures")
    assert out.returncode == 0, out.stderr
    out = _run("train", "iwae", "--data", "ring", "--epochs", "3", "--k", "3", "--out", run, "--resume",
               "--quiet", "--no-pictures")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^epoch\s+3", out.stdout, re.M) and not re.search(r"^epoch\s+1", out.stdout, re.M)
    ckpt = os.path.join(run, "checkpoint.npz")
    out = _run("eval", ckpt, "--data", "ring", "--k", "50", "--limit", "200")
    assert out.returncode == 0, out.stderr
    with open(os.path.join(run, "eval-valid-k50.json")) as f:
        result = json.load(f)
    assert result["L_50"] > result["elbo"] - 0.05 and result["n"] == 200 and "active_units" in result
    png = str(tmp_path / "s.png")
    out = _run("sample", ckpt, "-n", "100", "--out", png)
    assert out.returncode == 0
    with open(png, "rb") as f:
        assert f.read(4) == b"\x89PNG"
    _user_error(_run("sample", ckpt, "--out", png), r"s\.png exists; pass --force")
    _user_error(_run("eval", ckpt, "--data", "ring", "--k", "50", "--limit", "200"), r"exists; pass --force")


def test_bad_inputs_are_one_line_and_exit_2(tmp_path):
    _user_error(_run("train", "wgan", "--data", "ring"), r"unknown model 'wgan'")
    _user_error(_run("train", "vae", "--data", "cifar"), r"unknown dataset 'cifar'")
    _user_error(_run("train", "vae", "--data", str(tmp_path / "none.npz")), r"no such file")
    corrupt = tmp_path / "corrupt.npz"
    np.savez(corrupt, x=np.ones((10, 3)))
    corrupt.write_bytes(corrupt.read_bytes()[:50])
    _user_error(_run("train", "vae", "--data", str(corrupt)), r"not a readable NumPy file")
    nan = tmp_path / "nan.npz"
    np.savez(nan, x=np.full((10, 3), np.nan))
    _user_error(_run("train", "vae", "--data", str(nan)), r"NaN or infinite")
    _user_error(_run("train", "cvae", "--data", "ring", cwd=tmp_path), r"cvae needs labeled data")
    assert not (tmp_path / "runs").exists()   # a failed command leaves nothing behind
    _user_error(_run("eval", str(tmp_path / "missing.npz"), "--data", "ring"), r"no such checkpoint")
    _user_error(_run("eval", str(corrupt), "--data", "ring"), r"corrupt.npz")
    out = _run("eval", "x.npz", "--data", "ring", "--k", "0")
    assert out.returncode == 2 and "must be positive" in out.stderr and "Traceback" not in out.stderr
    _user_error(_run("train", "vae", "--data", "ring", "--resume"), r"--resume needs --out")


def test_checkpoint_meets_data_of_another_shape(tmp_path):
    run = str(tmp_path / "r")
    assert _run("train", "vae", "--data", "ring", "--epochs", "1", "--out", run, "--quiet",
                "--no-pictures").returncode == 0
    _user_error(_run("eval", os.path.join(run, "checkpoint.npz"), "--data", "bump"),
                r"the checkpoint's vae takes 2 features; bump has 32")
    _user_error(_run("train", "iwae", "--data", "ring", "--out", run, "--resume"),
                r"holds a vae with .*not this iwae")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep").write_text("x")
    _user_error(_run("train", "vae", "--data", "ring", "--out", str(tmp_path / "full")), r"is not empty")


def test_download_and_bench_errors(tmp_path):
    _user_error(_run("download", "cifar", "--data-dir", str(tmp_path)), r"no source for 'cifar'")
    _user_error(_run("bench", "fast.py"), r"no cpu benchmark fast.py; choose from engine_overhead")
    (tmp_path / "file").write_text("x")
    _user_error(_run("bench", "kernels", "--out", str(tmp_path / "file")), r"is a file")


def test_train_binarize_uses_a_bernoulli_decoder(tmp_path):
    run = str(tmp_path / "b")
    out = _run("train", "vae", "--data", "bump", "--binarize", "--epochs", "1", "--out", run, "--quiet",
               "--no-pictures")
    assert out.returncode == 0, out.stderr
    from minivae.train import load_model
    model, header = load_model(os.path.join(run, "checkpoint.npz"))
    assert header["model"]["kwargs"]["likelihood"] == "bernoulli"


def _main(capsys, *args):
    """The command in this process (faster than a subprocess): (exit status, stdout, stderr)."""
    from minivae.cli import main
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:   # argparse's errors
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _labeled_binary(tmp_path, n=240, d=16, classes=3):
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, n)
    x = (rng.random((n, d)) < 0.2 + 0.2 * y[:, None]).astype(np.float32)
    path = tmp_path / "tiny.npz"
    np.savez(path, x=x, labels=y)
    return path


def test_eval_of_a_cvae_checkpoint_passes_its_labels(tmp_path, capsys):
    data = _labeled_binary(tmp_path)
    code, _, err = _main(capsys, "train", "cvae", "--data", data, "--epochs", 1, "--out", tmp_path / "run",
                         "--quiet", "--no-pictures")
    assert code == 0, err
    code, out, err = _main(capsys, "eval", tmp_path / "run" / "checkpoint.npz", "--data", data, "--k", 5)
    assert code == 0, err
    with open(tmp_path / "run" / "eval-valid-k5.json") as f:
        result = json.load(f)
    assert 0 <= result["active_units"] <= 2 and np.isfinite(result["reconstruction_error"])


def test_beta_vae_and_cvae_get_the_architecture_and_likelihood_asked_for(tmp_path, capsys):
    """BetaVAE and ConditionalVAE take **kwargs: filtering flags by their own signature
    dropped hidden and likelihood, and beta-vae on binary data got a Gaussian decoder."""
    from minivae.train import read_header
    data = _labeled_binary(tmp_path)
    for model in ("beta-vae", "cvae"):
        code, _, err = _main(capsys, "train", model, "--data", data, "--epochs", 1, "--beta", 2,
                             "--out", tmp_path / model, "--quiet", "--no-pictures")
        assert code == 0, err
        kwargs = read_header(str(tmp_path / model / "checkpoint.npz"))[0]["model"]["kwargs"]
        assert kwargs["likelihood"] == "bernoulli" and kwargs["hidden"] == [64, 64] and kwargs["beta"] == 2


def test_flags_a_model_does_not_take_are_refused(tmp_path, capsys):
    for args, flag in ((("vae", "--k", 5), "--k"), (("iwae", "--beta", 2), "--beta"), (("ae", "--beta", 2), "--beta")):
        code, _, err = _main(capsys, "train", args[0], "--data", "ring", *args[1:], "--out", tmp_path / args[0])
        assert code == 2 and f"{flag[2:]} does not apply to {args[0]}" in err
        assert not os.path.exists(tmp_path / args[0])


def test_mistakes_that_used_to_end_in_a_traceback(tmp_path, capsys):
    def user_error(pattern, *args):
        code, _, err = _main(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and re.search(pattern, lines[0]), err

    rng = np.random.default_rng(0)
    short = tmp_path / "short.npz"          # cvae labels shorter than the images
    np.savez(short, x=(rng.random((50, 6)) < 0.5).astype(np.float32), labels=np.arange(40) % 3)
    user_error(r"short.npz: labels has shape \(40,\); the train split has 50 examples", "train", "cvae", "--data", short, "--out", tmp_path / "a")
    negative = tmp_path / "negative.npz"
    np.savez(negative, x=(rng.random((50, 6)) < 0.5).astype(np.float32), labels=np.arange(50) % 3 - 1)
    user_error(r"cvae needs class labels 0, 1, 2, \.\.\.; .* has the label -1", "train", "cvae", "--data", negative,
               "--out", tmp_path / "b")
    idx = tmp_path / "images-idx3-ubyte"    # an IDX header claiming 255 dimensions
    idx.write_bytes(b"\x00\x00\x08\xff" + b"\x00" * 12)
    user_error(r"claims 255 dimensions", "train", "vae", "--data", idx, "--out", tmp_path / "c")
    user_error(r"more than the", "train", "vae", "--data", "ring", "--latent-dim", 10 ** 12, "--out", tmp_path / "d")
    user_error(r"argument --seed: must be in \[0, 2\^32\), got -1", "train", "vae", "--data", "ring", "--seed", -1)
    assert not any((tmp_path / n).exists() for n in "abcd")

    run = tmp_path / "run"
    assert _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    checkpoint = run / "checkpoint.npz"
    user_error(r"is a folder; --out names the file", "eval", checkpoint, "--data", "ring", "--out", tmp_path)
    assert not list(tmp_path.glob("*.tmp"))
    with np.load(checkpoint) as f:          # an optimizer renamed in the checkpoint
        arrays = {k.replace("optim/model/", "optim/other/"): f[k] for k in f.files}
    header = json.loads(str(arrays["header"]))
    header["optimizers"] = {"other": header["optimizers"]["model"]}
    arrays["header"] = np.array(json.dumps(header))
    np.savez(checkpoint, **arrays)
    user_error(r"holds optimizer states for \['other'\], this model's players are \['model'\]",
               "train", "vae", "--data", "ring", "--epochs", 2, "--out", run, "--resume")
    del header["epoch"]
    arrays["header"] = np.array(json.dumps(header))
    np.savez(checkpoint, **arrays)
    user_error(r"epoch must be a count", "train", "vae", "--data", "ring", "--epochs", 2, "--out", run, "--resume")


def test_eval_refuses_nan_weights_and_is_reproducible(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(capsys, "train", "iwae", "--data", "ring", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    results = []
    for i in range(2):
        out = tmp_path / f"e{i}.json"
        code, _, err = _main(capsys, "eval", run / "checkpoint.npz", "--data", "ring", "--k", 20, "--limit", 50,
                             "--seed", 3, "--out", out)
        assert code == 0, err
        with open(out) as f:
            results.append(json.load(f))
    assert results[0]["elbo"] == results[1]["elbo"] and results[0]["L_20"] == results[1]["L_20"]
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    name = next(k for k in arrays if k.startswith("model/"))
    arrays[name] = arrays[name] * np.nan
    np.savez(run / "checkpoint.npz", **arrays)
    code, _, err = _main(capsys, "eval", run / "checkpoint.npz", "--data", "ring", "--out", tmp_path / "nan.json")
    assert code == 2 and "NaN or infinite weights" in err and not (tmp_path / "nan.json").exists()


def test_a_bad_kernel_mode_does_not_stop_the_import(tmp_path):
    env = dict(os.environ, MINIVAE_KERNELS="bogus")
    imported = subprocess.run([sys.executable, "-c", "import minivae"], env=env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    out = subprocess.run([sys.executable, "-m", "minivae.cli", "train", "vae", "--data", "ring", "--epochs", "1",
                          "--out", str(tmp_path / "r")], env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "MINIVAE_KERNELS must be one of fast, reference, got 'bogus'" in out.stderr
    assert "Traceback" not in out.stderr


def test_many_samples_go_to_a_npy_file_in_chunks(tmp_path, capsys, monkeypatch):
    import minivae.run
    run = tmp_path / "run"
    assert _main(capsys, "train", "vae", "--data", "bump", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    code, _, err = _main(capsys, "sample", run / "checkpoint.npz", "-n", 5000, "--out", tmp_path / "s.png")
    assert code == 2 and "at most 1024 samples" in err and not (tmp_path / "s.png").exists()
    monkeypatch.setattr(minivae.run, "CHUNK", 700)
    code, _, err = _main(capsys, "sample", run / "checkpoint.npz", "-n", 5000, "--out", tmp_path / "s.npy")
    assert code == 0, err
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (5000, 32) and x.dtype == np.float32 and np.isfinite(x).all()
    assert len(np.unique(x[:, 0])) > 4000 and not list(tmp_path.glob(".tmp-*"))   # every chunk drawn anew


def test_threads_limit_blas_while_the_command_runs(tmp_path, capsys, monkeypatch):
    """Two trainings at once, each with BLAS on every core, ran 10x slower (README)."""
    import threadpoolctl
    import minivae.run
    seen, real_fit = [], minivae.run.fit

    def fit(*args, **kwargs):
        seen.extend(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")
        return real_fit(*args, **kwargs)
    monkeypatch.setattr(minivae.run, "fit", fit)
    code, _, err = _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--threads", 1,
                         "--out", tmp_path / "r", "--quiet", "--no-pictures")
    assert code == 0, err
    assert seen and set(seen) == {1}


no_gpu = pytest.mark.skipif(__import__("minivae").cuda_available(), reason="checks the refusal where no GPU is")


@no_gpu
def test_device_cuda_without_a_gpu_is_one_line(tmp_path, capsys):
    for args in (("train", "vae", "--data", "ring", "--out", tmp_path / "r"), ("demo", "--out", tmp_path / "d"),
                 ("eval", tmp_path / "c.npz", "--data", "ring"), ("sample", tmp_path / "c.npz")):
        code, _, err = _main(capsys, *args, "--device", "cuda")
        assert code == 2 and err.strip() == "minivae: error: device 'cuda' needs CuPy and a GPU; neither was found"
    assert not (tmp_path / "r").exists() and not (tmp_path / "d").exists()


@pytest.mark.cuda
@pytest.mark.skipif(not __import__("minivae").cuda_available(), reason="needs CuPy and a GPU")
def test_train_eval_sample_on_the_gpu_match_the_cpu(tmp_path, capsys):
    """The same seed on both devices gives the same curve (noise is drawn on the host),
    and a GPU checkpoint evaluates and samples like a CPU one."""
    curves = {}
    for device in ("cpu", "cuda"):
        run = tmp_path / device
        code, _, err = _main(capsys, "train", "iwae", "--data", "bump", "--epochs", 2, "--k", 5, "--device", device,
                             "--out", run, "--quiet")
        assert code == 0, err
        curves[device] = [json.loads(l)["valid_loss"] for l in (run / "metrics.jsonl").read_text().splitlines()]
        assert (run / "samples.png").exists() or importlib.util.find_spec("matplotlib") is None   # points, not images
        code, _, err = _main(capsys, "eval", run / "checkpoint.npz", "--k", 50, "--limit", 100, "--device", device)
        assert code == 0, err
        code, _, err = _main(capsys, "sample", run / "checkpoint.npz", "-n", 3000, "--out", run / "s.npy",
                             "--device", device)
        assert code == 0, err
    np.testing.assert_allclose(curves["cuda"], curves["cpu"], rtol=1e-4)
    results = [json.loads((tmp_path / d / "eval-valid-k50.json").read_text()) for d in ("cpu", "cuda")]
    np.testing.assert_allclose(results[1]["L_50"], results[0]["L_50"], rtol=1e-4)


def test_a_gan_trains_samples_and_refuses_evaluation(tmp_path):
    out = tmp_path / "gan"
    run = _run("train", "gan", "--data", "sprites", "--limit", "300", "--epochs", "1", "--quiet", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert (out / "checkpoint.npz").exists() and not (out / "latent.png").exists()
    assert _run("sample", str(out / "checkpoint.npz"), "-n", "4", "--out", str(tmp_path / "s.npy")).returncode == 0
    refused = _run("eval", str(out / "checkpoint.npz"))
    assert refused.returncode == 2 and "has no encoder" in refused.stderr and "Traceback" not in refused.stderr


def test_dr_vae_on_unlabelled_images_trains_its_classifier_on_other_labelled_ones(tmp_path):
    """No labels in the data: the classifier learns from labelled images first (MNIST's test
    set where the data folder has it, else the sprites' shapes, as here) and is saved."""
    path = tmp_path / "digits.npz"
    np.savez(path, x=(np.random.default_rng(0).random((300, 784)) < 0.2).astype(np.float32))
    out = tmp_path / "run"
    run = _run("train", "dr-vae", "--data", str(path), "--data-dir", str(tmp_path), "--epochs", "1", "--latent-dim",
               "4", "--set", "channels=[4,8]", "--set", "classifier_channels=[4,8]", "--set", "classifier_epochs=1",
               "--quiet", "--no-pictures", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "labelled images of sprites first" in run.stdout and (out / "classifier.npz").exists()


def test_the_optimizer_flag_reaches_the_run(tmp_path):
    from minivae.train import read_header
    run = _run("train", "ae", "--data", "ring", "--optimizer", "adagrad", "--loss-scale", "dataset", "--epochs", "1",
               "--quiet", "--no-pictures", "--out", str(tmp_path / "r"))
    assert run.returncode == 0, run.stderr
    settings = read_header(str(tmp_path / "r" / "checkpoint.npz"))[0]["settings"]
    assert settings["optimizer"] == "adagrad" and settings["loss_scale"] == "dataset"


def test_a_semi_supervised_aae_from_the_command_line(tmp_path):
    from minivae.train import load_model
    out = tmp_path / "semi"
    run = _run("train", "aae", "--data", "mixture", "--set", "prior=mixture", "--labels-fraction", "0.2", "--epochs",
               "1", "--quiet", "--no-pictures", "--out", str(out))
    assert run.returncode == 0, run.stderr
    model, header = load_model(str(out / "checkpoint.npz"))
    assert model.label_informed and header["config"]["labels_fraction"] == 0.2
    _user_error(_run("train", "vae", "--data", "mixture", "--labels-fraction", "0.5", "--out", str(tmp_path / "v")),
                "labels_fraction applies to aae")
    _user_error(_run("train", "aae", "--data", "ring", "--labels-fraction", "0.5", "--out", str(tmp_path / "w")),
                "needs labeled data")


# --- a run folder is one run (issue 21) ----------------------------------------------------

def _one_epoch(tmp_path, name, model="vae", *extra):
    out = tmp_path / name
    run = _run("train", model, "--data", "ring", "--epochs", "1", "--quiet", "--out", str(out), *extra)
    assert run.returncode == 0, run.stderr
    return out


def test_resume_refuses_another_runs_checkpoint_and_an_edited_record(tmp_path):
    import shutil
    vae, iwae = _one_epoch(tmp_path, "v", "vae", "--no-pictures"), _one_epoch(tmp_path, "i", "iwae", "--no-pictures")
    shutil.copy(iwae / "checkpoint.npz", vae / "checkpoint.npz")   # another run's checkpoint in this folder
    _user_error(_run("train", "--resume", "--out", str(vae), "--epochs", "2"),
                r"config.json and checkpoint.npz disagree on .*model \('vae' against 'iwae'\)")
    lines = (vae / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["epoch"] == 1   # its record untouched
    edited = _one_epoch(tmp_path, "e", "vae", "--no-pictures")
    record = json.loads((edited / "config.json").read_text())
    (edited / "config.json").write_text(json.dumps({**record, "lr": 0.5}))
    _user_error(_run("train", "--resume", "--out", str(edited), "--epochs", "2"),
                r"disagree on lr \(0\.5 against 0\.001\).*config\.json was edited")


def test_resume_refuses_a_checkpoint_with_nan_weights_at_once(tmp_path):
    out = _one_epoch(tmp_path, "n", "vae", "--no-pictures")
    with np.load(out / "checkpoint.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    name = next(k for k in arrays if k.startswith("model/") and arrays[k].dtype.kind == "f")
    arrays[name] = np.full_like(arrays[name], np.nan)
    np.savez(out / "checkpoint.npz", **arrays)
    _user_error(_run("train", "--resume", "--out", str(out), "--epochs", "2"), r"holds NaN or infinite weights")


def test_resume_keeps_no_pictures_and_the_data_folder_is_stored_absolute(tmp_path):
    out = _one_epoch(tmp_path, "p", "vae", "--no-pictures", "--data-dir", "some/where")
    assert json.loads((out / "config.json").read_text())["data_dir"] == os.path.abspath("some/where")
    again = _run("train", "--resume", "--out", str(out), "--epochs", "2", "--quiet")
    assert again.returncode == 0, again.stderr
    assert not list(out.glob("*.png"))
    assert json.loads((out / "config.json").read_text())["epochs"] == 2   # the record follows the run
    third = _run("train", "--resume", "--out", str(out), "--epochs", "3", "--quiet")   # and so resumes again
    assert third.returncode == 0, third.stderr


@pytest.mark.parametrize("args, pattern", [
    (("vae", "--lr", "nan"), r"argument --lr: must be a finite number, got nan"),
    (("vae", "--lr", "inf"), r"argument --lr: must be a finite number, got inf"),
    (("vae", "--beta=-inf"), r"argument --beta: must be a finite number"),
    (("vae", "--warmup", "-1"), r"argument --warmup: must be at least 0, got -1"),
    (("cvae", "--labels-fraction", "2"), r"argument --labels-fraction: must be positive and at most 1.0, got 2"),
    (("vae", "--set", "sigma=-1"), r"model vae: sigma must be positive, got -1"),
    (("vae", "--set", "sigma=NaN"), r"model vae: sigma must be a finite number, got nan"),
    (("sparse-ae", "--set", "lam=abc"), r"model sparse-ae: lam must be a number, got 'abc'"),
    (("sparse-ae", "--set", "lam=-5"), r"model sparse-ae: lam must be at least 0, got -5"),
    (("vaegan", "--set", "gamma=2"), r"model vaegan: gamma must be in \[0, 1\], got 2"),
    (("vae", "--set", "recon_weight=x"), r"model vae: recon_weight must be a number or 'm/n', got 'x'"),
])
def test_settings_are_refused_before_the_run_folder_is_made(tmp_path, capsys, args, pattern):
    """Issue 24: a non-finite number, or a model option out of its range, is one line
    naming it, before config.json and .lock are written (a rerun needs no --force)."""
    code, _, err = _main(capsys, "train", *args, "--data", "ring", "--epochs", 1, "--out", tmp_path / "run")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and re.search(pattern, lines[0]), err
    assert not (tmp_path / "run").exists()


def test_model_options_are_checked_the_same_on_every_path(tmp_path):
    """The API's keyword arguments and a config's [options] meet the same check as --set."""
    from minivae import run
    from minivae.models import create
    with pytest.raises(ValueError, match="model sparse-ae: lam must be at least 0, got -5"):
        create("sparse-ae", x_dim=4, lam=-5)
    with pytest.raises(ValueError, match="model vae: beta must be a finite number, got inf"):
        create("vae", x_dim=4, beta=float("inf"))
    assert create("vae", x_dim=4, recon_weight="m/n").recon_weight == "m/n"
    path = tmp_path / "run.toml"
    path.write_text('model = "sparse-ae"\ndata = "ring"\n[options]\nlam = -5\n')
    s = run.settings({"model": None}, str(path))
    with pytest.raises(ValueError, match="lam must be at least 0"):
        run.build(s, run.data(s))


def test_data_mistakes_are_named(tmp_path, capsys):
    """Issue 24's table: each bad data file gets a line that says what is wrong, and a lone
    vector trains with a one-line warning."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "one.npy", rng.random((1, 5)).astype(np.float32))
    np.save(tmp_path / "none.npy", np.zeros((0, 5), np.float32))
    (tmp_path / "garbage.npz").write_bytes(b"not numpy at all " * 8)
    np.save(tmp_path / "complex.npy", rng.random((50, 4)) + 1j)
    np.save(tmp_path / "huge.npy", (rng.random((50, 4)) * 2e32 - 1e32).astype(np.float32))
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()
    for args, pattern in [
        (("--data", tmp_path / "one.npy"), r"1 example; at least 2 are needed"),
        (("--data", tmp_path / "none.npy"), r"x holds no examples \(shape \(0, 5\)\)"),
        (("--data", tmp_path / "garbage.npz"), r"garbage.npz: not a NumPy file \(.npy or .npz\)$"),
        (("--data", tmp_path / "complex.npy"), r"x holds complex numbers; minivae trains on real numbers"),
        (("--data", tmp_path / "huge.npy"), r"values as large as 9.\d+e\+31, whose squares .* overflow float32"),
        (("--data", "ring", "--out", tmp_path / "afile"), r"afile is a file; --out names a folder"),
        (("--data", "ring", "--out", tmp_path / "afile" / "run"), r"lies under .*afile, which is a file"),
        (("--data", tmp_path / "folder"), r"folder is a folder; --data names a data file or a dataset"),
    ]:
        code, _, err = _main(capsys, "train", "vae", "--epochs", 1, "--quiet", "--no-pictures", *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and re.search(pattern, lines[0]), (args, err)
    np.save(tmp_path / "vector.npy", rng.random(30).astype(np.float32))
    code, out, err = _main(capsys, "train", "vae", "--data", tmp_path / "vector.npy", "--epochs", 1, "--quiet",
                           "--no-pictures", "--out", tmp_path / "v")
    assert out.startswith("vae (z_dim 2, hidden 64,64) on 27 examples of vector.npy;"), out   # text, not a dict
    assert code == 0 and err.strip().splitlines() == [
        f"minivae: warning: {tmp_path / 'vector.npy'}: x is one vector of 30 values, read as 30 examples of one "
        "feature; save it with shape (1, 30) if it is one example"], err
    assert not (tmp_path / "v" / ".lock").exists()


def test_version(capsys):
    from minivae import __version__
    code, out, _ = _main(capsys, "--version")
    assert code == 0 and out.strip() == f"minivae {__version__}"


def test_what_cannot_fit_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """Issue 24: a training step larger than the free memory, or samples larger than the
    free disk, are refused in one line naming the size and the flag to change."""
    code, _, err = _main(capsys, "train", "iwae", "--data", "ring", "--epochs", 1, "--k", 10 ** 8,
                         "--out", tmp_path / "iw")
    assert code == 2 and re.fullmatch(r"minivae: error: a training step of iwae with batch_size 100 and k 100000000 "
                                      r"needs about [\d.]+ TiB, more than the .* free on cpu; lower --batch-size or "
                                      r"--k\n", err), err
    assert not (tmp_path / "iw").exists()
    run = tmp_path / "run"
    assert _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    from minivae import run as run_module
    monkeypatch.setattr(run_module.shutil, "disk_usage", lambda path: type("usage", (), {"free": 10 ** 6})())
    code, _, err = _main(capsys, "sample", run / "checkpoint.npz", "-n", 10 ** 6, "--out", tmp_path / "s.npy")
    assert code == 2 and err == (f"minivae: error: -n 1000000: 1000000 samples of 2 values are 7.63 MiB of float32, "
                                 f"more than the 977 KiB free in {tmp_path}; draw fewer with -n\n"), err


def test_an_interrupted_or_killed_sample_leaves_no_file(tmp_path, capsys, monkeypatch):
    """Ctrl-C while samples are written leaves neither the output nor a temporary; a
    temporary left by a killed run (its PID gone) is removed by the next."""
    import minivae.run as run_module
    run = tmp_path / "run"
    assert _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".tmp-{int(dead.stdout)}.npy"
    left.write_bytes(b"half a file")
    calls = []
    from minivae.models.vae import VAE
    real = VAE.sample

    def interrupted(self, n, y=None):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, n, y)
    monkeypatch.setattr(VAE, "sample", interrupted)
    monkeypatch.setattr(run_module, "CHUNK", 100)
    code, _, err = _main(capsys, "sample", run / "checkpoint.npz", "-n", 1000, "--out", tmp_path / "s.npy")
    assert code == 130 and err == "minivae: interrupted\n" and calls == [100, 100]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_memory_error_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    import minivae.run as run_module

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 74.5 GiB for an array")
    monkeypatch.setattr(run_module, "train", no_memory)
    code, _, err = _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--out", tmp_path / "r", "--quiet")
    assert code == 1 and err == ("minivae: out of memory: Unable to allocate 74.5 GiB for an array; try a smaller "
                                 "--batch-size, -n, --k or --limit\n"), err


def test_eval_of_a_bernoulli_model_on_grey_levels(tmp_path, capsys):
    """Scored on grey levels a Bernoulli model gives cross-entropies, not log-likelihoods:
    a warning; a model trained with --binarize is scored on its data binarized as in
    training (the same draws)."""
    rng = np.random.default_rng(0)
    grey = tmp_path / "grey.npy"
    np.save(grey, rng.random((200, 6)).astype(np.float32))
    for flags, name in (((), "plain"), (("--binarize",), "binarized")):
        assert _main(capsys, "train", "vae", "--data", grey, "--likelihood", "bernoulli", *flags, "--epochs", 1,
                     "--out", tmp_path / name, "--quiet", "--no-pictures")[0] == 0
    code, _, err = _main(capsys, "eval", tmp_path / "plain" / "checkpoint.npz", "--k", 3, "--quiet")
    assert code == 0 and re.fullmatch(r"minivae: warning: a Bernoulli model scored on grey.npy's grey levels: .*\n",
                                      err), err
    code, _, err = _main(capsys, "eval", tmp_path / "binarized" / "checkpoint.npz", "--k", 3, "--quiet")
    assert code == 0 and err == "", err
    from minivae import run
    from minivae.data import binarize, load_dataset
    from minivae.train import load_model
    model, header = load_model(str(tmp_path / "binarized" / "checkpoint.npz"))
    _, x, _ = run.evaluation_data(model, header, split="valid")
    np.testing.assert_array_equal(x, binarize(load_dataset(str(grey)).valid, 1))   # seed 0 + 1, as training drew


def test_the_command_line_imports_no_scipy_or_plotting_until_used():
    """--help and argument errors are instant: scipy.optimize (3.9 s of a 10 s start-up on
    a busy host) and matplotlib load only where a command uses them."""
    code = ("import sys, minivae.cli; heavy = [m for m in ('scipy.optimize', 'scipy.ndimage', 'scipy.stats', "
            "'matplotlib') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_an_evaluation_that_cannot_fit_is_refused(tmp_path, capsys, monkeypatch):
    """eval scores 100 examples with up to 500 of the k draws at a time: a chunk larger than
    the free memory is refused before any work, and no file is written."""
    run = tmp_path / "run"
    assert _main(capsys, "train", "vae", "--data", "ring", "--epochs", 1, "--out", run, "--quiet",
                 "--no-pictures")[0] == 0
    from minivae import backend
    monkeypatch.setattr(backend, "available_memory", lambda device="cpu": 2 * 10 ** 5)   # the checkpoint fits
    code, _, err = _main(capsys, "eval", run / "checkpoint.npz", "--k", 10 ** 8, "--out", tmp_path / "e.json")
    assert code == 2 and re.fullmatch(r"minivae: error: scoring 100 examples with 500 draws at a time needs about "
                                      r"[\d.]+ MiB, more than the 195 KiB free on cpu; .*\n", err), err
    assert not (tmp_path / "e.json").exists()


def test_outputs_into_a_missing_folder_or_through_a_link_are_refused_before_the_work(tmp_path, capsys):
    """eval, sample and figure check where they will write before they compute (issue 35,
    row 15), and never write through a planted link (row 6)."""
    run = tmp_path / "run"
    code, _, err = _main(capsys, "train", "vae", "--data", "ring", "--epochs", "1", "--out", run, "--quiet",
                         "--no-pictures")
    assert code == 0, err
    ckpt = run / "checkpoint.npz"
    outside = tmp_path / "outside.json"
    outside.write_text("the user's")
    (run / "linked.json").symlink_to(outside)
    for expected, args in (
            ("no such folder", ("eval", ckpt, "--k", "5", "--limit", "10", "--out", tmp_path / "missing" / "e.json")),
            ("no such folder", ("sample", ckpt, "--out", tmp_path / "missing" / "s.png")),
            ("no such folder", ("figure", "gaussian-toy", "--out", tmp_path / "missing" / "f.png")),
            ("symbolic link", ("eval", ckpt, "--k", "5", "--limit", "10", "--out", run / "linked.json", "--force"))):
        code, _, err = _main(capsys, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and expected in err, err
    assert outside.read_text() == "the user's" and not (tmp_path / "missing").exists()


def _tampered(path, change):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update({k: v.reshape(-1)[:1] for k, v in a.items() if k.startswith("optim/")
                         and k.endswith((".m", ".v"))}), r"optim/model/0\.m is float32 of shape \(1,\)"),
    (lambda a: a.update({"optim/model/-1.m": a["optim/model/0.m"]}), "holds an array 'optim/model/-1.m' that its vae has no place for"),
    (lambda a: a.update({"optim/model/0.step": np.asarray(0)}), "0.step must be a step count of at least 1"),
    (lambda a: a.update({"optim/model/0.v": -np.ones_like(a["optim/model/0.v"])}), "0.v holds negative values"),
    (lambda a: a.update({"model/encoder.0.weight": np.full(a["model/encoder.0.weight"].shape, 1e300)}),
     "NaN or infinite"),
    (lambda a: a.update(header=np.array("[" * 200_000 + "]" * 200_000)), "nested too deeply"),
])
def test_a_tampered_checkpoint_is_refused_in_one_line_and_the_folder_is_kept(tmp_path, change, message):
    """Issue 35, rows 1, 11 and 12: each once a segfault, a silent NaN or a traceback."""
    run = tmp_path / "run"
    out = _run("train", "vae", "--data", "ring", "--epochs", "1", "--out", run, "--quiet", "--no-pictures")
    assert out.returncode == 0, out.stderr
    _tampered(run / "checkpoint.npz", change)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    out = _run("train", "vae", "--data", "ring", "--epochs", "2", "--out", run, "--resume", "--quiet",
               "--no-pictures")
    _user_error(out, message)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_config_nested_absurdly_deep_is_refused(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("epochs = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, _, err = _main(capsys, "train", "vae", "--data", "ring", "--config", deep, "--out", tmp_path / "r")
    assert code == 2 and "nested" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists()


def test_a_refused_command_leaves_the_run_folder_as_it_was(tmp_path):
    """Issue 35, row 2: a second command into a folder another run holds, or a resume that
    is refused (another seed), once replaced config.json first; the lock is taken first now,
    and nothing is written until every check has passed."""
    from minivae.train import lock
    run = tmp_path / "run"
    out = _run("train", "vae", "--data", "ring", "--epochs", "1", "--out", run, "--quiet", "--no-pictures")
    assert out.returncode == 0, out.stderr
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    _user_error(_run("train", "vae", "--data", "ring", "--epochs", "2", "--seed", "3", "--out", run, "--resume",
                     "--quiet", "--no-pictures"), "seed 3 \\(the run has 0\\)")
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    with lock.run_folder(str(run)):   # another run is training there
        for extra in (("--resume",), ("--force",)):
            _user_error(_run("train", "vae", "--data", "ring", "--epochs", "2", "--out", run, "--quiet",
                             "--no-pictures", *extra), "another run is writing there")
        assert {p.name: p.read_bytes() for p in run.iterdir() if p.name != ".lock"} == before


def test_pictures_are_drawn_for_what_the_model_and_the_data_have(tmp_path, capsys):
    """Issue 35: naive-mc has no encoder (it draws its samples); one-feature data has no
    picture in the plane (once a matplotlib crash); a user's (n, 784) file is images
    (tests/data/test_datasets.py), whose samples and reconstructions are drawn."""
    pytest.importorskip("matplotlib")
    one, flat = tmp_path / "one.npy", tmp_path / "flat.npy"
    np.save(one, np.random.default_rng(0).normal(size=(200, 1)).astype(np.float32))
    np.save(flat, (np.random.default_rng(0).random((200, 784)) < 0.3).astype(np.float32))
    for args, drawn in ((("naive-mc", "--data", "ring"), {"samples.png", "curves.png"}),
                        (("vae", "--data", one), {"curves.png"}),
                        (("vae", "--data", flat, "--hidden", "16"), {"samples.png", "reconstructions.png"})):
        out = tmp_path / f"run-{len(drawn)}-{args[0]}"
        code, _, err = _main(capsys, "train", *args, "--epochs", "1", "--quiet", "--out", out)
        assert code == 0, err
        pngs = {p.name for p in out.iterdir() if p.suffix == ".png"}
        assert drawn <= pngs and ("latent.png" not in pngs or args[0] != "naive-mc"), pngs


def test_a_missing_name_is_asked_for_and_threads_are_capped(tmp_path, capsys):
    code, _, err = _main(capsys, "train", "--data", "ring")
    assert code == 2 and "give a model to train" in err and "None" not in err, err
    code, _, err = _main(capsys, "figure")
    assert code == 2 and "give a figure name, or --list" in err, err
    from minivae import cli
    code, _, err = _main(capsys, "train", "vae", "--data", "ring", "--epochs", "1", "--quiet", "--no-pictures",
                         "--threads", "100000", "--out", tmp_path / "r")
    assert code == 0 and f"more than the {cli._cores()} cores" in err, err


def test_profile_prints_the_table_writes_the_roofline_and_adds_up(tmp_path):
    env = {**os.environ, "MINIVAE_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "minivae.cli", "profile", "vae", "--data", "sprites", "--limit", "400",
                          "--batch-size", "50", "--steps", "3", "--rounds", "2", "--threads", "1",
                          "--out", str(tmp_path / "p")], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    table = out.stdout.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("op "))
    first = table[header + 1].split()
    assert first[0] == "dense" and "Numba" in table[header + 1]
    share = re.search(r"the ops' sum is (\d+)% of the unprofiled step", out.stdout)
    assert share and 0 < int(share.group(1)) <= 150, out.stdout
    with open(tmp_path / "p" / "profile.json") as f:
        saved = json.load(f)
    assert saved["steps"] == 6 and saved["ops_seconds"] <= saved["seconds"]
    assert {r["phase"] for r in saved["rows"]} >= {"forward", "backward", "optimizer"}
    assert (tmp_path / "cache" / "peaks.json").exists()
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "p" / "roofline.png").stat().st_size > 0
    again = subprocess.run([sys.executable, "-m", "minivae.cli", "profile", "vae", "--data", "sprites", "--limit", "400",
                            "--out", str(tmp_path / "p")], env=env, capture_output=True, text=True, timeout=600)
    _user_error(again, r"profile\.json exists")


def test_profile_refuses_an_unknown_model():
    _user_error(_run("profile", "nosuch"), r"nosuch")
