"""A run's settings: the sources in order, the files, and the model they build."""
import json
import os

import numpy as np
import pytest

from minivae import config
from minivae.data import load_dataset
from minivae.models import create

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_flags_then_file_then_saved_then_defaults():
    s = config.resolve({"model": "vae", "lr": 0.5, "seed": None},
                       file={"lr": 0.1, "epochs": 7, "data": "ring", "options": {"sigma": 0.2}},
                       saved={"epochs": 3, "batch_size": 20, "seed": 4, "options": {"kl": "sample"}})
    assert (s["model"], s["lr"], s["epochs"], s["batch_size"], s["seed"], s["data"]) == ("vae", 0.5, 7, 20, 4, "ring")
    assert s["options"] == {"kl": "sample", "sigma": 0.2} and s["warmup"] == 0


@pytest.mark.parametrize("settings, message", [
    ({"model": "wgan", "data": "ring"}, "unknown model 'wgan'"),
    ({"model": "vae"}, "no data"),
    ({"model": "vae", "data": "ring", "hidden": [64, 0]}, "hidden must be positive integers"),
    ({"model": "vae", "data": "ring", "epochs": 1.5}, "epochs must be an integer"),
    ({"model": "vae", "data": "ring", "options": {"hidden": [3]}}, "have settings of their own"),
    ({"model": "vae", "data": "ring", "optimizer": "lbfgs"}, "optimizer must be one of adam, sgd, adagrad, rmsprop"),
])
def test_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        config.resolve(settings)


def test_files(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('model = "iwae"\nhidden = [[200, 200], [100, 100]]\nlatent_dim = [100, 50]\n[options]\nsigma = 0.1\n')
    assert config.read_file(str(toml)) == {"model": "iwae", "hidden": [[200, 200], [100, 100]],
                                           "latent_dim": [100, 50], "options": {"sigma": 0.1}}
    toml.write_text('model = "vae"\nlearning_rate = 1\n')
    with pytest.raises(ValueError, match="unknown settings learning_rate"):
        config.read_file(str(toml))
    toml.write_text('model = "vae\n')
    with pytest.raises(ValueError, match="not valid TOML"):
        config.read_file(str(toml))
    saved = tmp_path / "config.json"
    config.write(str(saved), config.resolve({"model": "vae", "data": "ring"}))
    assert config.read_file(str(saved))["model"] == "vae"


def test_sizes_from_the_command_line():
    assert config.parse_sizes("200,200") == [200, 200]
    assert config.parse_sizes("200,200;100,100") == [[200, 200], [100, 100]]
    with pytest.raises(ValueError, match="expected sizes"):
        config.parse_sizes("200,x")


def test_model_arguments_and_the_likelihood_they_choose():
    ring = load_dataset("ring", n=200)
    kwargs, reason = config.model_kwargs(config.resolve({"model": "beta-vae", "data": "ring", "beta": 3.0,
                                                         "hidden": [16]}), ring)
    assert kwargs == {"x_dim": 2, "z_dim": 2, "hidden": [16], "beta": 3.0, "likelihood": "gaussian"}
    assert reason.startswith("gaussian: the data are not binary")
    with pytest.raises(ValueError, match=r"k does not apply to vae \(it applies to iwae\)"):
        config.model_kwargs(config.resolve({"model": "vae", "data": "ring", "k": 5}), ring)
    with pytest.raises(ValueError, match="vae has one latent layer"):
        config.model_kwargs(config.resolve({"model": "vae", "data": "ring", "latent_dim": [4, 2]}), ring)


@pytest.mark.parametrize("name, sizes", [("iwae-k50.toml", [784, 200, 200, 50]), ("iwae2-k50.toml", None)])
def test_the_shipped_configs_are_the_papers_models(name, sizes):
    s = config.resolve({}, file=config.read_file(os.path.join(ROOT, "examples", "configs", name)))
    assert (s["model"], s["k"], s["batch_size"], s["adam_eps"], s["staged"], s["epochs"], s["activation"]) == \
        ("iwae", 50, 20, 1e-4, True, 3280, "tanh")
    fake = type("Data", (), {"x_dim": 784, "binary": True, "name": "binarized-mnist", "train": np.zeros((1, 784))})()
    kwargs, _ = config.model_kwargs(s, fake)
    model = create("iwae", **kwargs)
    n = sum(p.size for p in model.parameters())
    if sizes:   # encoder 784-200-200-(50 mean, 50 log-variance), decoder 50-200-200-784
        enc = 784 * 200 + 200 + 200 * 200 + 200 + 200 * 100 + 100
        dec = 50 * 200 + 200 + 200 * 200 + 200 + 200 * 784 + 784
        assert n == enc + dec
    else:
        assert kwargs["z_dims"] == [100, 50] and kwargs["hidden"] == [[200, 200], [100, 100]]


def test_config_file_resume_and_eval_without_flags(tmp_path, capsys):
    from minivae.cli import main
    toml = tmp_path / "run.toml"
    toml.write_text('model = "vae"\ndata = "ring"\nhidden = [16]\nepochs = 2\nbatch_size = 50\nseed = 3\n')
    run = tmp_path / "run"
    assert main(["train", "--config", str(toml), "--out", str(run), "--quiet", "--no-pictures"]) == 0
    with open(run / "config.json") as f:
        saved = json.load(f)
    assert saved["hidden"] == [16] and saved["seed"] == 3
    assert main(["train", "--resume", "--out", str(run), "--epochs", "3", "--quiet", "--no-pictures"]) == 0
    assert main(["eval", str(run / "checkpoint.npz"), "--k", "5", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "likelihood gaussian" in out and "valid -ELBO (nats)" in out and "epoch   3" in out
    with open(run / "eval-valid-k5.json") as f:
        assert json.load(f)["data"] == "ring"
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
    assert np.isfinite(json.loads(lines[-1])["valid_loss"])


@pytest.mark.parametrize("line, message", [
    ('binarize = "no"', "binarize must be true or false, got 'no'"),
    ('staged = "false"', "staged must be true or false"),
    ("limit = -5", "limit must be a positive integer, got -5"),
    ('patience = "x"', "patience must be a positive integer, got 'x'"),
    ("k = 2.5", "k must be a positive integer"),
    ("beta = nan", "beta must be a positive number"),
    ("seed = 4294967296", "seed must be below 2\\^32"),
    ("data = 3", "data must be a string, got 3"),
])
def test_a_config_file_is_held_to_the_flags_types_and_ranges(tmp_path, line, message):
    """Issue 35, row 13: once read as true, trimmed 5 rows, or failed after an epoch."""
    path = tmp_path / "c.toml"
    data = "" if line.startswith("data ") else 'data = "ring"\n'
    path.write_text(f'model = "vae"\n{data}{line}\n')
    with pytest.raises(ValueError, match=message):
        config.resolve({}, config.read_file(str(path)))
