"""Resuming a run: what its checkpoint must agree with before training continues from it,
and all that it restores, so that the resumed run goes on as the uninterrupted one would
have: the model's and optimizers' state, the history, and from the history the best
validation loss so far and the epochs since it (best.npz is replaced only by a better
epoch, and --patience stops at the same epoch).

The run's settings, saved in each checkpoint, include what it trained on: a digest of the
training and validation examples and labels (``data_identity``). Another seed, batch size,
learning rate, optimizer setting or other data would not continue the same run: refused by
name unless forced.
"""
import json
import math
import os

import numpy as np

from .. import distributed
from ..checkpoint import read_checkpoint


def data_identity(x, y, valid, y_valid):
    """The shapes and a digest of what a run trains and validates on."""
    parts = [a for a in (x, y, valid, y_valid) if a is not None]
    return {"shape": list(np.shape(x)), "valid_shape": None if valid is None else list(np.shape(valid)),
            "digest": distributed.digest(parts)[:16]}


def best_so_far(history):
    """(the lowest validation loss in ``history``, the epochs after it that did not beat it),
    as the training loop counts them."""
    best, stale = math.inf, 0
    for record in history:
        if "valid_loss" in record:
            if record["valid_loss"] < best:
                best, stale = record["valid_loss"], 0
            else:
                stale += 1
    return best, stale


class Resumed:
    """A checkpoint that may be continued: its header, model and optimizer states, and
    where the run stands (``epoch``, ``history``, ``best``, ``stale``)."""

    def __init__(self, header, state, optim_states):
        self.header, self.state, self.optim_states = header, state, optim_states
        self.epoch, self.history = header["epoch"], header["history"]
        self.best, self.stale = best_so_far(self.history)


def check(checkpoint, model, players, settings, epochs, force=False, read=None, patience=None):
    """The checkpoint's ``Resumed``, once everything that must agree does; else a ValueError
    that names what differs. ``read``: how the checkpoint is read (across ranks, by rank 0)."""
    if not checkpoint or not os.path.exists(checkpoint):
        raise ValueError(f"fit: nothing to resume in {os.path.dirname(checkpoint or '')!r} (no checkpoint.npz)")
    header, state, optim_states = (read or (lambda path: read_checkpoint(path, model)))(checkpoint)
    broken = sorted(k for k, v in state.items() if v.dtype.kind == "f" and not np.isfinite(v).all())
    if broken:   # refused now, not after an epoch of NaN losses
        raise ValueError(f"fit: {checkpoint} holds NaN or infinite weights in {', '.join(broken)}; "
                         "nothing can be resumed from it")
    if set(optim_states) != set(players):
        raise ValueError(f"fit: {checkpoint} holds optimizer states for {sorted(optim_states)}, "
                         f"this model's players are {sorted(players)}")
    saved = {"optimizer": "adam", "loss_scale": "example", **header.get("settings", {})}   # older runs
    settings = json.loads(json.dumps(settings))
    changed = {k: (saved[k], v) for k, v in settings.items() if k in saved and saved[k] != v}
    if changed and not force:
        raise ValueError("fit: resuming with " + ", ".join(_difference(k, old, new) for k, (old, new) in changed.items())
                         + " would not continue the same run; use the run's values, or force")
    if header["epoch"] >= epochs:
        raise ValueError(f"fit: {checkpoint} already holds {header['epoch']} epochs; epochs={epochs} "
                         "asks for no more (raise it to continue)")
    resumed = Resumed(header, state, optim_states)
    if patience is not None and resumed.stale >= patience:
        raise ValueError(f"fit: {checkpoint}: the run stopped early after epoch {resumed.epoch}, its validation loss "
                         f"not improved in {resumed.stale} epochs (patience {patience}); raise the patience to go on")
    return resumed


def _difference(key, old, new):
    if key == "data":
        what = "other training data" if (old or {}).get("shape") == new["shape"] else \
            f"training data of shape {tuple(new['shape'])}"
        return f"{what} (the run's: shape {tuple((old or {}).get('shape', ()))}, digest {(old or {}).get('digest')}; " \
               f"these: digest {new['digest']})"
    return f"{key} {new} (the run has {old})"


def restore(resumed, model, optimizers, checkpoint):
    """Load the checkpoint's state into the model and its optimizers; a state that does not
    fit them (a file is untrusted) is refused by name, the file named."""
    try:
        model.load_state_dict(resumed.state)
        for name, opt in optimizers.items():
            opt.load_state_dict(resumed.optim_states[name])
    except ValueError as e:
        raise ValueError(f"fit: {checkpoint}: {e}") from None
