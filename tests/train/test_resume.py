"""A resumed run goes on as the uninterrupted one (issue 35, rows 3, 4 and 8)."""
import json

import numpy as np
import pytest

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit
from minivae.train.resume import best_so_far

DATA = load_dataset("ring", n=600)


def _fit(out, epochs, resume=False, train=None, **kwargs):
    mv.manual_seed(0)
    model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
    return fit(model, DATA.train if train is None else train, valid=DATA.valid, epochs=epochs, lr=3e-2,
               batch_size=50, out=str(out), resume=resume, progress=False, log=lambda r: None, **kwargs)


def _arrays(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def test_best_so_far_counts_as_the_loop_does():
    history = [{"valid_loss": 3.0}, {"valid_loss": 2.0}, {"valid_loss": 2.5}, {"epoch": 4}, {"valid_loss": 2.1}]
    assert best_so_far(history) == (2.0, 2)
    assert best_so_far([]) == (float("inf"), 0)


def test_a_resumed_run_keeps_its_best_and_stops_where_the_whole_run_stops(tmp_path):
    """Validation loss falls for three epochs, then rises: with patience 2 the whole run
    stops after epoch 5 and best.npz holds epoch 3. Interrupted after epoch 4 and resumed,
    the same: its best loss and its count of epochs without one are restored from the
    history (before, best.npz was replaced by epoch 5 and the run went on)."""
    whole = _fit(tmp_path / "whole", 12, patience=2)
    losses = [r["valid_loss"] for r in whole]
    assert len(whole) == 5 and np.argmin(losses) == 2, losses   # the case this test needs
    _fit(tmp_path / "cut", 4, patience=2)
    resumed = _fit(tmp_path / "cut", 12, resume=True, patience=2)
    assert len(resumed) == 5
    best_whole, best_cut = _arrays(tmp_path / "whole" / "best.npz"), _arrays(tmp_path / "cut" / "best.npz")
    assert json.loads(str(best_cut["header"]))["epoch"] == 3
    for name, array in best_whole.items():
        if name != "header":
            np.testing.assert_array_equal(best_cut[name], array, err_msg=name)
    lines = lambda run: [json.loads(line)["valid_loss"]
                         for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
    assert lines("cut") == lines("whole") == losses


def test_resuming_on_other_data_is_refused_unless_forced(tmp_path):
    _fit(tmp_path / "run", 1)
    for other, says in ((DATA.train[:500], "training data of shape \\(500, 2\\)"),
                        (DATA.train + 1e-3, "other training data")):
        with pytest.raises(ValueError, match=says):
            _fit(tmp_path / "run", 2, resume=True, train=other)
    assert len(_fit(tmp_path / "run", 2, resume=True, train=DATA.train[:500], force=True)) == 2


def test_resuming_with_other_optimizer_settings_is_refused(tmp_path):
    _fit(tmp_path / "run", 1)
    with pytest.raises(ValueError, match="adam {'eps': 0.0001} \\(the run has {}\\)"):
        _fit(tmp_path / "run", 2, resume=True, adam={"eps": 1e-4})


def test_a_run_that_stopped_early_is_not_resumed_past_its_stop(tmp_path):
    """Killed after its last checkpoint, a run that had stopped early would have trained on
    when resumed; it says it stopped, and a larger patience goes on."""
    assert len(_fit(tmp_path / "run", 12, patience=2)) == 5
    with pytest.raises(ValueError, match="stopped early after epoch 5, its validation loss not improved in 2 "
                                         "epochs \\(patience 2\\)"):
        _fit(tmp_path / "run", 12, resume=True, patience=2)
    assert len(_fit(tmp_path / "run", 6, resume=True, patience=4)) == 6
