"""Checkpoints: one .npz written atomically (temporary file, then rename) holding the
model's state, every optimizer's state, and a JSON header: how to rebuild the model, the
epoch, the training history and the random generators' states."""
import json
import os

import numbers

import numpy as np

from ..models import MODELS, check_sizes, create, options
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
    from ..data.files import parse_nested, read_arrays
    arrays = read_arrays(path)
    header = arrays.pop("header", None)
    if header is None or header.shape != () or header.dtype.kind != "U":
        raise ValueError(f"{path}: not a minivae checkpoint (no readable header)")
    try:
        header = parse_nested(json.loads, str(header), f"{path}: the header")
    except ValueError as e:
        raise ValueError(str(e) if "nested" in str(e) else f"{path}: not a minivae checkpoint (no readable header)") from None
    check_header(header, path)
    model_state = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
    optim = {name: {"lr": o["lr"], "steps": o["steps"],
                    "state": {k[len(f"optim/{name}/"):]: v for k, v in arrays.items()
                              if k.startswith(f"optim/{name}/")}}
             for name, o in header["optimizers"].items()}
    return header, model_state, optim


def check_header(header, path):
    """Check a header against the schema before anything is built from it; a ValueError
    names the file and the field."""
    def bad(what):
        raise ValueError(f"{path}: {what}")
    if not isinstance(header, dict):
        bad(f"the header is a JSON {type(header).__name__}, not an object")
    if header.get("format") != FORMAT:
        bad(f"checkpoint format {header.get('format')!r}, expected {FORMAT}")
    model = header.get("model")
    if not (isinstance(model, dict) and isinstance(model.get("name"), str) and isinstance(model.get("kwargs"), dict)):
        bad("the header names no model (it needs model.name and model.kwargs)")
    if model["name"] not in MODELS:
        bad(f"unknown model {model['name']!r}")
    unknown = sorted(set(model["kwargs"]) - (options(model["name"]) - {"generator"}))
    if unknown:
        bad(f"model {model['name']} takes no {', '.join(unknown)}")
    try:
        check_sizes(model["name"], model["kwargs"])
    except ValueError as e:
        bad(str(e))
    epoch = header.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        bad(f"epoch must be a count of epochs, got {epoch!r}")
    if not isinstance(header.get("history"), list) or not all(isinstance(h, dict) for h in header["history"]):
        bad("history must be a list of records")
    optimizers = header.get("optimizers")
    if not isinstance(optimizers, dict):
        bad("optimizers must be an object")
    for name, o in optimizers.items():
        if not (isinstance(o, dict) and isinstance(o.get("lr"), numbers.Real) and o["lr"] > 0
                and isinstance(o.get("steps"), int) and o["steps"] >= 0):
            bad(f"optimizer {name!r} needs a positive lr and a step count")
    if not isinstance(header.get("settings", {}), dict):
        bad("settings must be an object")
    generators = header.get("generators", [])
    if not isinstance(generators, list) or not all(isinstance(g, str) for g in generators):
        bad("generators must be a list of states")


def load_model(path, device="cpu"):
    """The model saved in a checkpoint, rebuilt from its spec, loaded and moved to
    ``device`` (checkpoints hold NumPy arrays, so either device loads any checkpoint).
    Weights that are NaN or infinite are refused: nothing computed from them would mean
    anything."""
    header, state, _ = read_checkpoint(path)
    broken = sorted(k for k, v in state.items() if v.dtype.kind == "f" and not np.isfinite(v).all())
    if broken:
        raise ValueError(f"{path}: holds NaN or infinite weights in {', '.join(broken)}")
    model = create(header["model"]["name"], **header["model"]["kwargs"])
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return model.to(device), header
