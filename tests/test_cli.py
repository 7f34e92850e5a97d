"""The minivae command, run as a user runs it."""
import json
import os
import re
import subprocess
import sys

import numpy as np


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
    out = _run("models")
    assert out.returncode == 0 and out.stdout.split() == [
        "ae", "linear-ae", "sparse-ae", "denoising-ae", "contractive-ae", "masked-ae", "vae", "beta-vae",
        "cvae", "iwae", "aae", "vaegan"]


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
    _user_error(_run("train", "gan", "--data", "ring"), r"unknown model 'gan'")
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
    _user_error(_run("bench", "--only", "fast.py"), r"no benchmark 'fast.py'")


def test_train_binarize_uses_a_bernoulli_decoder(tmp_path):
    run = str(tmp_path / "b")
    out = _run("train", "vae", "--data", "bump", "--binarize", "--epochs", "1", "--out", run, "--quiet",
               "--no-pictures")
    assert out.returncode == 0, out.stderr
    from minivae.train import load_model
    model, header = load_model(os.path.join(run, "checkpoint.npz"))
    assert header["model"]["kwargs"]["likelihood"] == "bernoulli"
