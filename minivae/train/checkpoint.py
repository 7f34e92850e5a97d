"""Checkpoints: one .npz written atomically (temporary file, then rename) holding the
model's state, every optimizer's state, and a JSON header: how to rebuild the model, the
epoch, the training history and the random generators' states."""
import json
import os

import numpy as np

from ..nn import save_npz

FORMAT = "minivae-checkpoint-1"


def save_checkpoint(path, model, optimizers, meta):
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    header = dict(meta, format=FORMAT, optimizers={})
    for name, opt in optimizers.items():
        state = opt.state_dict()
        header["optimizers"][name] = {"lr": state["lr"], "steps": state["steps"]}
        arrays.update({f"optim/{name}/{k}": v for k, v in state["state"].items()})
    arrays["header"] = np.array(json.dumps(header))
    save_npz(path, arrays)


def read_checkpoint(path):
    """(header, model state, {player: optimizer state}); a ValueError names a bad file."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such checkpoint")
    from ..data.files import read_arrays
    arrays = read_arrays(path)
    try:
        header = json.loads(str(arrays.pop("header")))
    except (KeyError, ValueError):
        raise ValueError(f"{path}: not a minivae checkpoint (no readable header)") from None
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: checkpoint format {header.get('format')!r}, expected {FORMAT}")
    model_state = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
    optim = {name: {"lr": o["lr"], "steps": o["steps"],
                    "state": {k[len(f"optim/{name}/"):]: v for k, v in arrays.items()
                              if k.startswith(f"optim/{name}/")}}
             for name, o in header["optimizers"].items()}
    return header, model_state, optim


def load_model(path):
    """The model saved in a checkpoint, rebuilt from its spec and loaded."""
    from ..models import create
    header, state, _ = read_checkpoint(path)
    model = create(header["model"]["name"], **header["model"]["kwargs"])
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return model, header
