"""Every registered model through every command and through an estimator: each step works,
or refuses in one line that says why. The refusals are listed here, with their reasons."""
import numpy as np
import pytest

import minivae
from minivae.cli import main
from minivae.data import load_dataset
from minivae.models import MODELS

# model -> {step: what the refusal must say}
REFUSED = {
    "naive-mc": {"train": "the lecture's toy is 2-D", "fit": "the lecture's toy is 2-D"},   # its own toy only
    "gan": {"eval": "no encoder and no likelihood", "transform": "has no encoder",
            "score": "no encoder and no likelihood"},                                   # it only samples
    "aae": {"fit": "labels need the mixture or swiss_roll prior"},   # y given, the default Gaussian prior
    "classifier": {"eval": "no encoder and no likelihood", "sample": "draws no samples",
                   "transform": "has no encoder", "score": "no encoder and no likelihood"},   # it only predicts
    "hole-filling-cvae": {"sample": "draws no samples"},
    "mlp-classifier": {"eval": "no encoder and no likelihood", "sample": "draws no samples",
                       "transform": "has no encoder", "score": "no encoder and no likelihood"},   # it draws the hidden part given the rest (fill)
}


@pytest.mark.parametrize("name", list(MODELS))
def test_the_command_line(name, tmp_path, capsys):
    run, checkpoint = tmp_path / "run", str(tmp_path / "run" / "checkpoint.npz")
    steps = {"train": ["train", name, "--data", "sprites", "--limit", "64", "--batch-size", "32", "--epochs", "1",
                       "--out", str(run), "--quiet"],
             "eval": ["eval", checkpoint, "--limit", "20", "--k", "2", "--quiet", "--out", str(tmp_path / "e.json")],
             "sample": ["sample", checkpoint, "-n", "4", "--out", str(tmp_path / "s.npy")]}
    refused = REFUSED.get(name, {})
    for step, argv in steps.items():
        code, err = main(argv), capsys.readouterr().err
        if step in refused:
            assert code == 2 and err.startswith("minivae: error: ") and err.count("\n") == 1, err
            assert refused[step] in err, err
            if step == "train":
                return
            continue
        assert code == 0, err
    assert (run / "curves.png").exists()
    pictures = {p.stem for p in run.glob("*.png")}
    assert set(type(minivae.load(checkpoint).model_).pictures) & {"latent", "samples", "reconstructions"} <= pictures
    if "sample" not in refused:
        assert np.load(tmp_path / "s.npy").shape == (4, 784)
    if "eval" not in refused:
        assert (tmp_path / "e.json").exists()


SPRITES = load_dataset("sprites", n=300, seed=0)


@pytest.mark.parametrize("name", list(MODELS))
def test_an_estimator(name):
    X, y = SPRITES.train[:96], SPRITES.y_train[:96]
    est = minivae.Estimator(name, epochs=1, batch_size=32)
    refused = REFUSED.get(name, {})
    steps = {"fit": lambda: est.fit(X, y), "transform": lambda: est.transform(X[:5], y[:5]),
             "score": lambda: est.score(X[:5], y[:5], k=2), "sample": lambda: est.sample(4, y=np.arange(4) % 3)}
    for step, call in steps.items():
        if step in refused or refused.get("fit"):
            with pytest.raises(ValueError, match=refused.get(step, refused.get("fit"))):
                call()
            if step == "fit":
                return
            continue
        result = call()
        if step == "transform":
            assert len(result) == 5 and np.isfinite(result).all()
        elif step == "score":
            assert np.isfinite(result)
        elif step == "sample":
            assert result.shape == (4, 784)
