"""Checkpoints: one .npz written atomically (temporary file, then rename) holding the
model's state, every optimizer's state, and a JSON header: how to rebuild the model, the
epoch, the training history and the random generators' states."""
import json
import os

import numbers

import numpy as np

from . import optim
from .models import MODELS, check_sizes, create, options
from .atomic import save_npz

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


HEADER_BYTES = 64 * 2 ** 20   # a header's JSON: far more than any run's history needs


def read_header(path):
    """(the checkpoint's header, checked against its schema; {array name: (shape, dtype)}
    from the arrays' own headers), reading no other array; a ValueError names a bad file."""
    from .data.files import array_headers, parse_nested, read_arrays
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such checkpoint")
    arrays = array_headers(path)
    shape, dtype = arrays.get("header", (None, np.dtype("O")))
    if shape != () or dtype.kind != "U" or dtype.itemsize > HEADER_BYTES:
        raise ValueError(f"{path}: not a minivae checkpoint (no readable header)")
    text = str(read_arrays(path, names={"header"})["header"])
    try:
        header = parse_nested(json.loads, text, f"{path}: the header")
    except ValueError as e:
        raise ValueError(str(e) if "nested" in str(e) else f"{path}: not a minivae checkpoint (no readable header)") from None
    check_header(header, path)
    return header, arrays


def read_checkpoint(path, model, header=None):
    """(header, model state, {player: optimizer state}) for ``model``, the checkpoint's own
    kind (``load_model`` builds it from the header): each array's name, shape and kind are
    checked against the model and its players' parameters before any array is read, so a
    file cannot make minivae allocate more than the model it names. The states of players
    the model does not have are left unread (refused later by name). A ValueError names a
    bad file. ``header``: what ``read_header(path)`` gave, when the caller has it."""
    from .data.files import read_arrays
    header, arrays = header or read_header(path)
    spec = getattr(model, "spec", None)
    spec = None if spec is None else json.loads(json.dumps(spec))   # as the checkpoint stores it
    if spec is not None and header["model"] != spec:
        raise ValueError(f"{path} holds a {header['model']['name']} with {header['model']['kwargs']}, not this "
                         f"{spec['name']} with {spec['kwargs']}")
    expected = _expected_shapes(model)
    foreign = tuple(f"optim/{name}/" for name in set(header["optimizers"]) - set(model.players()))
    wanted = {"header"}
    for name, (shape, dtype) in arrays.items():
        if name == "header" or any(name.startswith(player) for player in foreign):
            continue
        if name not in expected:
            raise ValueError(f"{path}: holds an array {name!r} that its {header['model']['name']} has no place for")
        if shape != expected[name] or dtype.kind not in "fiub":
            raise ValueError(f"{path}: {name} is {dtype} of shape {shape}; the model's is real numbers of shape "
                             f"{expected[name]}")
        wanted.add(name)
    arrays = read_arrays(path, names=wanted)
    model_state = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
    optim = {name: {"lr": o["lr"], "steps": o["steps"],
                    "state": {k[len(f"optim/{name}/"):]: v for k, v in arrays.items()
                              if k.startswith(f"optim/{name}/")}}
             for name, o in header["optimizers"].items()}
    return header, model_state, optim


def _expected_shapes(model):
    """The name and shape of every array a checkpoint of ``model`` may hold."""
    shapes = {f"model/{name}": tuple(p.shape) for name, p in model.named_parameters()}
    shapes.update({f"model/{name}": tuple(b.shape) for name, b in model.named_buffers()})
    buffers = {name for kind in (optim.Adam, optim.SGD, optim.Adagrad, optim.RMSprop) for name in kind.BUFFERS}
    for player, params in model.players().items():
        for i, p in enumerate(params):
            shapes[f"optim/{player}/{i}.step"] = ()
            shapes.update({f"optim/{player}/{i}.{name}": tuple(p.shape) for name in buffers})
    return shapes


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
    read = read_header(path)
    header = read[0]
    model = create(header["model"]["name"], **header["model"]["kwargs"])
    _, state, _ = read_checkpoint(path, model, read)
    broken = sorted(k for k, v in state.items() if v.dtype.kind == "f" and not np.isfinite(v).all())
    if broken:
        raise ValueError(f"{path}: holds NaN or infinite weights in {', '.join(broken)}")
    try:
        model.load_state_dict(state)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return model.to(device), header
