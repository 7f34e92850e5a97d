"""The run layer (minivae/run.py): one path for the command line and the estimators."""
import json

import numpy as np
import pytest

import minivae
from minivae import cli, run
from minivae.data import load_dataset


def _settings(**given):
    return run.settings({"model": "vae", "data": "ring", "latent_dim": [2], "hidden": [16], "epochs": 2,
                         "seed": 3, **given})


def test_the_command_line_and_an_estimator_take_one_run(tmp_path, capsys):
    """`minivae train` on a dataset and an estimator fitted on the same arrays, with the
    same settings and seed, end with the same parameters and the same curve."""
    assert cli.main(["train", "vae", "--data", "ring", "--latent-dim", "2", "--hidden", "16", "--epochs", "2",
                     "--seed", "3", "--out", str(tmp_path / "r"), "--quiet", "--no-pictures"]) == 0
    capsys.readouterr()
    d = load_dataset("ring", seed=3)
    est = minivae.VAE(latent_dim=2, hidden=[16], epochs=2, random_state=3).fit(d.train, validation=d.valid)
    cli_model, _ = minivae.train.load_model(str(tmp_path / "r" / "checkpoint.npz"))
    for (name, a), b in zip(cli_model.state_dict().items(), est.model_.state_dict().values()):
        np.testing.assert_array_equal(b, a, err_msg=name)
    curve = [json.loads(line)["valid_loss"] for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert curve == [h["valid_loss"] for h in est.history_]


def test_settings_resolve_and_a_resumed_run_needs_its_checkpoint(tmp_path):
    s = _settings(data_dir="rel/data")
    assert s["epochs"] == 2 and s["batch_size"] == 100 and s["data_dir"] == str(tmp_path.cwd() / "rel" / "data")
    with pytest.raises(ValueError, match="--resume needs --out naming a folder with checkpoint.npz"):
        run.settings({"model": "vae", "data": "ring"}, resume=str(tmp_path))


def test_build_checks_before_anything_is_made():
    d = load_dataset("ring")
    with pytest.raises(ValueError, match=r"a Bernoulli likelihood needs data in \[0, 1\]; ring lies in"):
        run.build(_settings(likelihood="bernoulli"), d)
    with pytest.raises(ValueError, match="k does not apply to vae"):
        run.build(_settings(k=5), d)
    model, reason = run.build(_settings(), d)
    assert model.spec["kwargs"]["likelihood"] == "gaussian" and reason.startswith("gaussian: the data are not binary")


def test_a_semi_supervised_model_gets_the_fraction_of_labels_asked_for():
    d = load_dataset("mixture", n=4000)
    s = run.settings({"model": "aae", "data": "mixture", "labels_fraction": 0.25, "seed": 1,
                      "options": {"prior": "mixture"}})
    model, _ = run.build(s, d)
    y = run.labels(model, s, d)
    known = y >= 0
    assert abs(known.mean() - 0.25) < 0.03 and (y[known] == d.y_train[known]).all() and (y[~known] == -1).all()
    assert run.labels(*run.build(run.settings({"model": "aae", "data": "mixture"}), d)[:1], run.settings(
        {"model": "aae", "data": "mixture"}), d) is None   # unasked, the semi-supervised take none
    vae, _ = run.build(run.settings({"model": "vae", "data": "mixture"}), d)
    assert run.labels(vae, run.settings({"model": "vae", "data": "mixture"}), d) is None


def test_an_estimators_labels_keep_their_unknowns():
    """-1 marks an unknown label in an estimator's y, as the fraction hidden does on the
    command line; the model learns its classes from the known ones."""
    d = load_dataset("mixture", n=2000)
    y = np.where(np.arange(len(d.y_train)) % 4 == 0, d.y_train, -1)
    est = minivae.AdversarialAutoencoder(latent_dim=2, prior="mixture", hidden=[16], epochs=1,
                                        random_state=0).fit(d.train, y)
    assert est.model_.n_classes == int(d.y_train.max()) + 1 and list(est.classes_) == sorted(set(d.y_train))


def test_a_stage_that_needs_labels_learns_from_a_stand_in_when_the_data_have_none(tmp_path):
    """DR-VAE declares a first stage that learns from labels: on unlabelled 28 x 28 data its
    classifier learns from the sprites' shapes, is saved in the run folder, and is found
    there again instead of trained twice."""
    s = run.settings({"model": "dr-vae", "data": "sprites", "epochs": 1, "limit": 200,
                      "options": {"classifier_epochs": 1, "networks": "mlp", "image_shape": [1, 28, 28]}})
    d = run.data(s)
    d.y_train = d.y_valid = None
    model, _ = run.build(s, d)
    said, stages = [], []
    run.first_stage(model, s, None, str(tmp_path), say=said.append, log=stages.append)
    assert said == ["dr-vae: its classifier learns from 9000 labelled images of sprites first"]
    assert stages and all(r["stage"] == "ConvClassifier" for r in stages) and (tmp_path / "classifier.npz").exists()
    again, _ = run.build(s, d)
    again.classifier_file = str(tmp_path / "classifier.npz")
    run.first_stage(again, s, None, str(tmp_path), say=said.append)
    assert len(said) == 1   # found, not trained again
    with np.load(tmp_path / "classifier.npz") as saved:   # an earlier run's stage, zeroed
        old = {k: np.zeros_like(saved[k]) for k in saved.files}
    np.savez(tmp_path / "classifier.npz", **old)
    fresh, _ = run.build(s, d)   # a fresh run (--force) into that folder: it trains its own (issue 35, row 17)
    run.first_stage(fresh, s, None, str(tmp_path), say=said.append)
    assert len(said) == 2 and fresh.classifier_file == str(tmp_path / "classifier.npz")
    with np.load(tmp_path / "classifier.npz") as saved:
        assert any(np.abs(saved[k]).sum() > 0 for k in saved.files)
    small = run.settings({"model": "dr-vae", "data": "X", "options": {"networks": "mlp", "image_shape": [1, 16, 16]}})
    model, _ = run.build(small, run.arrays(np.full((10, 256), 0.5, np.float32)))
    with pytest.raises(ValueError, match=r"the labelled sprites images do not fit this model \(784 values"):
        run.first_stage(model, small, None, str(tmp_path))


def test_draw_samples_refuses_what_it_cannot_write(tmp_path):
    model, _ = run.build(_settings(), load_dataset("ring"))
    with pytest.raises(ValueError, match="write a picture"):
        run.draw_samples(model, 5, str(tmp_path / "s.txt"))
    with pytest.raises(ValueError, match="at most 1024 samples"):
        run.draw_samples(model, 2000, str(tmp_path / "s.png"))
    path = run.draw_samples(model, 7, str(tmp_path / "s.npy"), seed=4)
    again = run.draw_samples(model, 7, str(tmp_path / "t.npy"), seed=4)
    np.testing.assert_array_equal(np.load(path), np.load(again))   # seeded
