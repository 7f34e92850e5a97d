"""A training run's settings, and the model they build.

Each setting comes from, first to last: the command line; a ``--config`` file (TOML, or
the JSON a run saves); when resuming, the settings the run saved in its checkpoint; the
defaults below. The settings used are saved in the run folder (``config.json``) and in the
checkpoint, so that ``--resume`` and ``eval`` need no flags, and ``--config
runs/x/config.json`` repeats a run.

    model = "iwae"                  data = "binarized-mnist"
    latent_dim = [50]               hidden = [200, 200]       # iwae: one list per layer
    activation = "tanh"             likelihood = "bernoulli"
    k = 50                          epochs = 3280
    batch_size = 20                 lr = 1e-3
    adam_eps = 1e-4                 staged = true             # optimizer = "adam" | "sgd" | "adagrad"
    loss_scale = "example"          # or "dataset": N/M times the batch sum (AEVB Eq. 8)
    [options]                       # any other constructor argument of the model
    sigma = 0.1
"""
import json
import math
import sys

from .atomic import write_text
from .data.files import parse_nested
from .models import MODELS, options
from .optim import OPTIMIZERS

if sys.version_info >= (3, 11):
    import tomllib
else:   # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULTS = {
    "model": None, "data": None, "data_dir": None, "limit": None, "binarize": False,
    "latent_dim": [2], "hidden": None, "activation": None, "likelihood": None, "k": None, "beta": None,
    "options": {},
    "epochs": 10, "batch_size": 100, "lr": 1e-3, "optimizer": "adam", "loss_scale": "example", "adam_eps": 1e-8, "staged": False, "warmup": 0,
    "patience": None, "seed": 0, "labels_fraction": None, "pictures": True,
}
MODEL_SETTINGS = ("k", "beta", "activation", "likelihood")   # settings that are model arguments
# the arguments the settings above (or the data) fill in; [options] may name any other
RESERVED = {"x_dim", "z_dim", "z_dims", "hidden", "n_classes", "generator", *MODEL_SETTINGS}


def read_file(path):
    """The settings in a TOML or JSON file; a ValueError names the file and the problem."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ValueError(f"--config {path}: cannot be read ({e.strerror})") from None
    kind = "JSON" if path.endswith(".json") else "TOML"
    parse = json.loads if kind == "JSON" else lambda r: tomllib.loads(r.decode())
    try:
        settings = parse_nested(parse, raw, f"--config {path}")
    except ValueError as e:   # TOMLDecodeError, JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(str(e) if "nested" in str(e) else f"--config {path}: not valid {kind} ({e})") from None
    if not isinstance(settings, dict):
        raise ValueError(f"--config {path}: holds a {type(settings).__name__}, not a table of settings")
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"--config {path}: unknown settings {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    return settings


def resolve(command_line, file=None, saved=None):
    """Merge the sources (see the module docstring); None on the command line means unset."""
    settings = dict(DEFAULTS)
    for source in (saved or {}, file or {}, {k: v for k, v in command_line.items() if v is not None}):
        for key, value in source.items():
            if key == "options":
                settings["options"] = {**settings["options"], **value}
            elif key in settings:
                settings[key] = value
    return _checked(settings)


def _checked(s):
    if s["model"] is None:
        raise ValueError(f"give a model to train: one of {', '.join(MODELS)} (minivae models lists them)")
    if s["model"] not in MODELS:
        raise ValueError(f"unknown model {s['model']!r}; choose from {', '.join(MODELS)}")
    if not s["data"]:
        raise ValueError("no data: give --data (a dataset name or a file), or data in --config")
    s["latent_dim"] = _int_list("latent_dim", s["latent_dim"])
    if s["hidden"] is not None:
        nested = isinstance(s["hidden"], list) and any(isinstance(h, list) for h in s["hidden"])
        s["hidden"] = [_int_list("hidden", h) for h in s["hidden"]] if nested else _int_list("hidden", s["hidden"])
    for key, kind, low in (("epochs", int, 1), ("batch_size", int, 1), ("lr", float, None),
                           ("adam_eps", float, None), ("warmup", int, 0), ("seed", int, 0)):
        value = s[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or (kind is int and value != int(value)):
            raise ValueError(f"{key} must be a{'n integer' if kind is int else ' finite number'}, got {value!r}")
        if (low is None and value <= 0) or (low is not None and value < low):
            raise ValueError(f"{key} must be {'positive' if low is None else f'at least {low}'}, got {value!r}")
    if s["seed"] >= 2 ** 32:
        raise ValueError(f"seed must be below 2^32, got {s['seed']!r}")
    for key in ("binarize", "staged", "pictures"):   # TOML's "no" or "false" is a string, and true
        if not isinstance(s[key], bool):
            raise ValueError(f"{key} must be true or false, got {s[key]!r}")
    for key, kind in (("limit", int), ("patience", int), ("k", int), ("beta", float)):
        value = s[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or (kind is int and value != int(value))
                                  or value <= 0):
            raise ValueError(f"{key} must be a positive {'integer' if kind is int else 'number'}, got {value!r}")
    for key in ("data", "data_dir", "activation", "likelihood"):
        if s[key] is not None and not isinstance(s[key], str):
            raise ValueError(f"{key} must be a string, got {s[key]!r}")
    fraction = s["labels_fraction"]
    if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, (int, float))
                                 or not 0 < fraction <= 1):
        raise ValueError(f"labels_fraction must be a number in (0, 1], got {fraction!r}")
    if s["loss_scale"] not in ("example", "dataset"):
        raise ValueError(f"loss_scale must be 'example' or 'dataset', got {s['loss_scale']!r}")
    if s["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {s['optimizer']!r}")
    if not isinstance(s["options"], dict):
        raise ValueError(f"options must be a table of model arguments, got {s['options']!r}")
    clash = sorted(set(s["options"]) & RESERVED)
    if clash:
        raise ValueError(f"options: {', '.join(clash)} have settings of their own (latent_dim, hidden, ...)")
    return s


def _int_list(key, value):
    values = value if isinstance(value, list) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{key} must be positive integers, got {value!r}")
    return values


def parse_sizes(text):
    """'200,200' -> [200, 200]; '200,200;100,100' -> [[200, 200], [100, 100]] (IWAE's layers)."""
    try:
        layers = [[int(v) for v in part.split(",") if v.strip()] for part in text.split(";")]
    except ValueError:
        raise ValueError(f"expected sizes like 200,200 (or 200,200;100,100), got {text!r}") from None
    return layers[0] if len(layers) == 1 else layers


def model_kwargs(s, data):
    """The model's constructor arguments from the settings and the data, and why its
    likelihood was chosen. A setting the model does not take is an error, not dropped."""
    name, accepted = s["model"], options(s["model"])
    kwargs = dict(s["options"])
    kwargs.update({k: s[k] for k in MODEL_SETTINGS if s[k] is not None})
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        takers = {k: [m for m in MODELS if k in options(m)] for k in unknown}
        raise ValueError("; ".join(f"{k} does not apply to {name}" + (f" (it applies to {', '.join(t)})" if t else "")
                                   for k, t in takers.items()))
    kwargs["x_dim"] = data.x_dim
    latent = s["latent_dim"]
    if "z_dims" in accepted:
        kwargs["z_dims"] = latent
    elif len(latent) != 1:
        raise ValueError(f"{name} has one latent layer; latent_dim {latent} names {len(latent)}")
    elif "z_dim" in accepted:   # (the naive Monte Carlo toy's latent space is fixed)
        kwargs["z_dim"] = latent[0]
    if "hidden" in accepted:
        kwargs["hidden"] = _hidden(name, s["hidden"], data.x_dim, latent if "z_dims" in accepted else None)
    reason = None
    if "likelihood" in accepted:
        if s["likelihood"] is None:
            kwargs["likelihood"] = "bernoulli" if data.binary else "gaussian"
            reason = ("bernoulli: every value of the data is 0 or 1" if data.binary else
                      "gaussian: the data are not binary (--binarize or --likelihood bernoulli for a Bernoulli decoder)")
        else:
            reason = f"{s['likelihood']}: as asked"
    x = data.train
    if kwargs.get("likelihood") == "bernoulli" and len(x) and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"a Bernoulli likelihood needs data in [0, 1]; {data.name} lies in "
                         f"[{x.min():.3g}, {x.max():.3g}]")
    if _check_labels(name, s["labels_fraction"], data, kwargs):
        kwargs["n_classes"] = int(data.y_train.max()) + 1
    return kwargs, reason


def _hidden(name, hidden, x_dim, latent=None):
    """The hidden sizes: as set, else 400 for images and 64, 64 for the rest; for a stack of
    stochastic layers (``latent``, their sizes), one list of sizes per layer."""
    hidden = hidden if hidden is not None else ([400] if x_dim > 100 else [64, 64])
    nested = bool(hidden) and isinstance(hidden[0], list)
    if latent is not None:
        hidden = hidden if nested else [hidden] * len(latent)
        if len(hidden) != len(latent):
            raise ValueError(f"{name}: hidden names {len(hidden)} layers' sizes for {len(latent)} latent layers")
    elif nested:
        raise ValueError(f"{name}: hidden is one list of sizes, got {hidden}")
    return hidden


def _check_labels(name, fraction, data, kwargs):
    """Whether the model learns from the data's labels; a ValueError when it needs labels the
    data lack, or the fraction of labels does not suit it."""
    cls = MODELS[name]
    if fraction is not None and cls.labels not in ("semi-supervised", "required"):
        learners = ", ".join(m for m, c in MODELS.items() if c.labels == "semi-supervised")
        raise ValueError(f"labels_fraction applies to {learners} (label-informed, the rest labelled -1: unknown); "
                         f"{name} takes " + ("no labels" if cls.labels is None else "the labels the data have"))
    if fraction not in (None, 1, 1.0) and (cls.labels == "required" or kwargs.get("label_to_decoder")):
        raise ValueError(f"{name} needs every label" + (" (its decoder takes them)" if cls.labels != "required" else "")
                         + ": labels_fraction must be 1 for it")
    y = getattr(data, "y_train", None)
    labelled = y is not None and y.dtype.kind in "iu"
    if cls.labels == "required" or (cls.labels == "semi-supervised" and fraction is not None):
        if not labelled:
            raise ValueError(f"{name} needs labeled data; {data.name} has no integer labels")
        low = min(int(y.min()) for y in (data.y_train, data.y_valid) if y is not None and len(y))
        if low < (-1 if cls.labels == "semi-supervised" else 0):   # -1: an unknown label
            raise ValueError(f"{name} needs class labels 0, 1, 2, ...; {data.name} has the label {low}")
    return labels_used(cls, fraction, labelled)


def labels_used(cls, fraction, labelled):
    """Whether a model of class ``cls`` learns from the labels (its ``labels`` declaration):
    always when it needs them, when the data have them for those that use them optionally,
    and only when a fraction of them is asked for (the rest unknown) for the semi-supervised."""
    return (cls.labels == "required" or (cls.labels == "optional" and labelled)
            or (cls.labels == "semi-supervised" and fraction is not None and labelled))


def write(path, settings):
    text = json.dumps(settings, indent=2) + "\n"
    write_text(path, text, ".json")
