"""A run, the one path below the command line (cli.py) and the estimators (api.py):

    settings (minivae.config) -> data -> model -> fit -> outputs

``minivae train`` parses its flags into settings and prints what these functions return;
an estimator turns its parameters and arrays into the same settings and data. What a
model needs of a run it declares (minivae.models.base.Model: its labels, a stage trained
first, its pictures); nothing here, or above, names a model.
"""
import os
import shutil
import time
import warnings

import numpy as np

from . import backend, config, eval as evaluate, plot
from .atomic import write_atomically_by_name
from .core import no_grad
from .data import load_dataset
from .data.datasets import Dataset
from .functional import iwae_bound
from .models import check_sizes, create, step_bytes
from .train import fit, read_header
from .progress import Progress


# --- settings -------------------------------------------------------------------------------
def settings(given, config_file=None, resume=None):
    """The run's settings: ``given`` (None: unset), else the ``config_file``, else, resuming
    the run folder ``resume``, the settings its checkpoint records, else the defaults. A
    data folder is stored absolute, so that the run's data are found from anywhere."""
    saved = None
    if resume is not None:
        checkpoint = os.path.join(resume, "checkpoint.npz")
        if not os.path.exists(checkpoint):
            raise ValueError("--resume needs --out naming a folder with checkpoint.npz")
        saved = read_header(checkpoint)[0].get("config")
        if saved is None and not (given.get("model") and given.get("data")):
            raise ValueError(f"{checkpoint} does not record its settings (an older run): give the model and "
                             "--data as the run was started")
    s = config.resolve(given, config.read_file(config_file) if config_file else None, saved)
    if s["data_dir"] and not os.path.isabs(s["data_dir"]):
        s["data_dir"] = os.path.abspath(s["data_dir"])
    return s


def same_run(out):
    """A run folder is one run: its config.json (the record a user reads) and its checkpoint
    (what resuming continues) must say the same, or the folder holds another run's
    checkpoint, or a hand-edited record that the run would not follow."""
    path = os.path.join(out, "config.json")
    saved = read_header(os.path.join(out, "checkpoint.npz"))[0].get("config")
    if saved is None or not os.path.exists(path):
        return
    record = config.read_file(path)
    differ = sorted(k for k in set(record) | set(saved) if record.get(k) != saved.get(k))
    if differ:
        raise ValueError(f"{out}: config.json and checkpoint.npz disagree on " + ", ".join(
            f"{k} ({record.get(k)!r} against {saved.get(k)!r})" for k in differ) + "; the checkpoint is another "
            "run's, or config.json was edited. Change a run's settings with flags on --resume, or start a new run")


# --- data -----------------------------------------------------------------------------------
def data(s):
    """The run's data: the dataset, its first ``limit`` training examples, each grey level a
    fresh Bernoulli draw when ``binarize`` is set (dynamic binarization)."""
    d = load_dataset(s["data"], s["data_dir"], seed=s["seed"])
    if s["limit"]:
        d.train = d.train[:s["limit"]]
        d.y_train = None if d.y_train is None else d.y_train[:s["limit"]]
    if s["binarize"]:
        from .data import binarize
        d.train, d.valid = binarize(d.train, s["seed"]), binarize(d.valid, s["seed"] + 1)
        d.binary = True
    return d


def arrays(x, y=None, valid=None):
    """Arrays (float32, checked by the caller) as a run's data: the estimators'. ``y`` holds
    the labels the model takes, -1 for an unknown one."""
    return Dataset(name="X", train=x, valid=valid, y_train=y, binary=bool(np.isin(x, (0.0, 1.0)).all()))


# --- model ----------------------------------------------------------------------------------
def build(s, d, device="cpu"):
    """The model the settings make for the data, on ``device``, and why its likelihood was
    chosen. Every check is made here, before anything is written or trained."""
    kwargs, reason = config.model_kwargs(s, d)
    check_sizes(s["model"], kwargs)
    backend.array_module(device)   # an unavailable device is a ValueError
    backend.manual_seed(s["seed"])
    return create(s["model"], **kwargs).to(device), reason


def size_text(n):
    """Bytes in words: 75.4 GiB."""
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def check_step_memory(s, model, device="cpu"):
    """Refuse, before any work, a training step whose arrays cannot fit the free memory."""
    kwargs = model.spec["kwargs"]
    draws = next((k for k in ("k", "n_samples") if (kwargs.get(k) or 1) > 1), None)
    _refuse_beyond_free(step_bytes(kwargs, s["batch_size"]), device,
                        f"a training step of {s['model']} with batch_size {s['batch_size']}"
                        + (f" and {draws} {kwargs[draws]}" if draws else ""),
                        "lower --batch-size" + (f" or --{draws.replace('_', '-')}" if draws else ""))


def check_eval_memory(model, k, device="cpu"):
    """Refuse, before any work, an evaluation whose chunk of importance samples (BATCH
    examples times up to CHUNK of the k draws, eval/likelihood.py) cannot fit."""
    draws = min(k, evaluate.likelihood.CHUNK)
    _refuse_beyond_free(step_bytes({**model.spec["kwargs"], "k": draws, "n_samples": None}, evaluate.likelihood.BATCH),
                        device, f"scoring {evaluate.likelihood.BATCH} examples with {draws} draws at a time",
                        "evaluate on a machine with more memory, or a smaller model")


def _refuse_beyond_free(needed, device, what, advice):
    free = backend.available_memory(device)
    if free is not None and needed > free:
        raise ValueError(f"{what} needs about {size_text(needed)}, more than the {size_text(free)} free on "
                         f"{device}; {advice}")


def labels(model, s, d):
    """The labels the model learns from, by its ``labels`` declaration: none, the data's, or
    for a semi-supervised model the fraction ``labels_fraction`` of them, the rest -1."""
    cls, y = type(model), d.y_train
    if not config.labels_used(cls, s["labels_fraction"], y is not None and y.dtype.kind in "iu"):
        return None
    if cls.labels == "semi-supervised":
        hidden = np.random.default_rng(s["seed"]).random(len(y)) >= s["labels_fraction"]
        return np.where(hidden, -1, y)
    return y


# --- fit ------------------------------------------------------------------------------------
def train(model, d, y, s, *, out=None, resume=False, force=False, eager=False, progress=False,
          log=lambda record: None, say=lambda text: None, stand_in=False, world=None):
    """Fit the model by the settings (minivae.train.fit), validating on the data's valid
    split. ``log`` gets each epoch's record (a stage's with its name under "stage"), ``say``
    each line worth telling. ``stand_in``: a first stage that needs labels the data lack
    learns from a labelled stand-in (``first_stage``); else the model says what it needs."""
    if stand_in and not resume:
        first_stage(model, s, y, out, progress, log, say, world)
    valid = d.valid if d.valid is not None and len(d.valid) else None
    graphs = False if eager or s["optimizer"] != "adam" or (world is not None and world.size > 1) else None
    return fit(model, d.train, y, valid, d.y_valid if y is not None and valid is not None else None,
               epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"], out=out, resume=resume,
               patience=s["patience"], warmup_epochs=s["warmup"], schedule="staged" if s["staged"] else None,
               progress=progress, log=log, force=force,
               adam={"eps": s["adam_eps"]} if s["optimizer"] == "adam" else None, config=s if out else None,
               graphs=graphs, optimizer=s["optimizer"], loss_scale=s["loss_scale"], world=world)


def first_stage(model, s, y, out, progress=False, log=lambda record: None, say=lambda text: None, world=None):
    """A stage that learns from labels (``Model.first_stage == "labels"``: DR-VAE's
    classifier), in a run whose data have none, learns from a labelled stand-in of the
    data's size: the MNIST test set for 28 x 28 images when the data folder has it, else the
    generated sprites' shapes. It is saved in the run folder (the model's argument
    ``<stage_name>_file``), where the model's own fit finds it. Across ranks they share its batches, as they do the model's."""
    if model.first_stage != "labels" or y is not None:
        return
    option = f"{model.stage_name}_file"   # the model's argument naming its saved stage
    saved = getattr(model, option)
    if saved and os.path.exists(saved):
        return
    source = None
    if model.x_dim == 784:
        try:
            source = load_dataset("mnist", s["data_dir"])
        except ValueError:
            pass
    source = source or load_dataset("sprites", seed=s["seed"])
    if source.x_dim != model.x_dim or int(source.y_train.max()) >= model.stage_classes:
        raise ValueError(f"{s['model']}: these data have no labels, and the labelled {source.name} images do not "
                         f"fit this model ({source.x_dim} values, {int(source.y_train.max()) + 1} classes); train "
                         f"on labelled data or --set {option}=a trained {model.stage_name}'s .npz")
    path = saved or (os.path.join(out, f"{model.stage_name}.npz") if out else None)
    say(f"{s['model']}: its {model.stage_name} learns from {len(source.train)} labelled images of {source.name} first")
    # Trained here, whatever file the folder holds (a --force run's earlier stage is not this
    # one's), and saved by rank 0 alone (two writers raced: rank 0's run-folder lock clears
    # temporary files, another rank's among them); the others wait for it to be whole.
    setattr(model, option, None)
    try:
        model.before_fit(source.train, source.y_train, lambda stage, x, epochs, labels=None: fit(
            stage, x, labels, epochs=epochs, batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"],
            progress=progress, log=lambda r: log({"stage": type(stage).__name__, **r}), world=world))
        if path and (world is None or world.rank == 0):
            getattr(model, model.stage_name).save(path)
    finally:
        setattr(model, option, path)
    if world is not None:
        world.broadcast(None)


# --- outputs --------------------------------------------------------------------------------
def pictures(model, d, out, history):
    """The pictures the model declares (``Model.pictures``), then its training curves, as
    PNGs in ``out``; None without matplotlib."""
    if not _can_plot():
        return None
    wanted, written = set(model.pictures), []
    x, y = d.valid[:2000], None if d.y_valid is None else d.y_valid[:2000]
    with_labels = getattr(model, "n_classes", None) if model.labels else None
    at = lambda name: os.path.join(out, f"{name}.png")
    if "latent" in wanted:
        with no_grad():
            codes = model.code(model.as_input(x), y if with_labels else None).numpy()
        written.append(plot.latent_scatter(codes, at("latent"), None if y is None or y.ndim != 1 else y))
    samples = model.sample(64, np.arange(64) % with_labels if with_labels else None) if "samples" in wanted else None
    recon = model.reconstruct(x[:32], y[:32] if with_labels else None) if "reconstructions" in wanted else None
    if d.image_shape:
        if samples is not None:
            written.append(plot.image_grid(samples, at("samples"), "samples", d.image_shape))
        if recon is not None:
            written.append(plot.image_grid(np.concatenate([x[:32], recon]), at("reconstructions"),
                                           "inputs, then reconstructions", d.image_shape))
        if "manifold" in wanted and getattr(model, "z_dim", 0) == 2 and not with_labels:
            written.append(plot.manifold(model, at("manifold"), shape=d.image_shape))
        if "traversal" in wanted and not with_labels and hasattr(model, "z_dim"):
            written.append(plot.traversal(model, x[0], at("traversal"), shape=d.image_shape))
    elif x.shape[1] == 2:   # points in the plane; data of other widths have no picture of their own
        if samples is not None:
            written.append(plot.points(x, at("samples"), "data and samples", samples))
        if recon is not None:
            written.append(plot.points(x[:32], at("reconstructions"), "data and reconstructions", recon,
                                       ("data", "reconstruction")))
    if "weights" in wanted and hasattr(model, "log_weights") and not with_labels:
        with no_grad():
            logw = model.log_weights(model.as_input(x[:200]), 50)   # IWAE also returns its first-layer samples
            weights = iwae_bound(logw[0] if isinstance(logw, tuple) else logw)[1].numpy()
        written.append(plot.weight_histogram(weights, at("weights")))
    written.append(plot.curves(history, at("curves")))
    return written


def _can_plot():
    """Pictures need matplotlib, an extra (pip install 'minivae[plot]')."""
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def evaluation_data(model, header, data_name=None, data_dir=None, split="valid", limit=None):
    """The examples a checkpoint's model is evaluated on, and the labels it takes: the
    dataset it was trained on unless ``data_name`` says another."""
    trained = header.get("config", {})
    if not (data_name or trained.get("data")):
        raise ValueError("--data is needed: the checkpoint does not say what it was trained on")
    d = load_dataset(data_name or trained["data"], data_dir or trained.get("data_dir"), limit=limit)
    x, y = d.split(split)
    if x.shape[1] != model.x_dim:
        raise ValueError(f"the checkpoint's {header['model']['name']} takes {model.x_dim} features; "
                         f"{d.name} has {x.shape[1]}")
    if getattr(getattr(model, "likelihood", None), "kind", None) == "bernoulli" and not np.isin(x, (0.0, 1.0)).all():
        if trained.get("binarize") and data_name in (None, trained.get("data")):
            from .data import binarize   # as training drew them (run.data): the valid split with seed + 1
            x = binarize(x, trained.get("seed", 0) + {"train": 0, "valid": 1, "test": 2}[split])
        else:
            warnings.warn(f"a Bernoulli model scored on {d.name}'s grey levels: its numbers are cross-entropies, "
                          "not log-likelihoods; evaluate on binary data (or a model trained with --binarize)",
                          UserWarning, stacklevel=2)
    x = x[:limit] if limit else x
    if model.labels == "required" and (y is None or y.dtype.kind not in "iu"):
        raise ValueError(f"the checkpoint holds a {header['model']['name']}, which needs class labels; "
                         f"{d.name} has none (evaluate it on labelled data)")
    y = y[:len(x)] if y is not None and model.labels and getattr(model, "n_classes", None) else None
    return d.name, x, y


def scores(model, x, y=None, k=5000, seed=0, world=None, progress=False, say=None):
    """What a model's evaluation reports, per example: the ELBO, L_k (seeded: a rerun, on
    either device, gives the same), the active units and the reconstruction error. Under
    several ranks each scores its share of L_k; every rank gets the whole."""
    backend.manual_seed(seed)
    result = {}
    if hasattr(model, "elbo_terms") or hasattr(model, "log_weights"):
        result["elbo"] = evaluate.elbo(model, x, y)
    if hasattr(model, "log_weights"):
        result[f"L_{k}"] = float(evaluate.log_likelihood(model, x, k=k, y=y, seed=seed, world=world,
                                                         progress=progress, say=say).mean())
        if world is not None and world.rank != 0:
            return result
    result["active_units"] = evaluate.active_units(model, x, y=y)[0]
    result["reconstruction_error"] = evaluate.reconstruction_error(model, x, y=y)
    return result


PNG_SAMPLES = 1024   # a grid of more is no picture anyone can read
CHUNK = 10000


def draw_samples(model, n, path, seed=0, title=None, progress=False):
    """n samples of the model into ``path``: a .npy file, written in chunks into a temporary
    file renamed when whole (refused up front where the disk has no room for it), or a PNG
    picture of at most PNG_SAMPLES. A conditional model draws the classes in turn.
    ``progress``: a progress line on a terminal."""
    if not path.endswith((".png", ".npy")):
        raise ValueError(f"--out {path}: write a picture (.png) or the samples themselves (.npy)")
    if path.endswith(".png") and n > PNG_SAMPLES:
        raise ValueError(f"-n {n}: a picture holds at most {PNG_SAMPLES} samples; write them to a .npy file")
    backend.manual_seed(seed)
    classes = getattr(model, "n_classes", None)
    labels_of = lambda start, stop: np.arange(start, stop) % classes if classes else None
    if path.endswith(".npy"):
        folder = os.path.dirname(os.path.abspath(path))
        needed, free = n * model.x_dim * 4, shutil.disk_usage(folder).free
        if needed > free:
            raise ValueError(f"-n {n}: {n} samples of {model.x_dim} values are {size_text(needed)} of float32, more "
                             f"than the {size_text(free)} free in {folder}; draw fewer with -n")
        bar = Progress(-(-n // CHUNK), "samples", progress)

        def write(tmp):   # Ctrl-C, or any failure, leaves no partial file (minivae.atomic)
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, model.x_dim))
            for start in range(0, n, CHUNK):
                stop = min(start + CHUNK, n)
                out[start:stop] = model.sample(stop - start, labels_of(start, stop))
                bar.update(stop - start, {})
            out.flush()
            del out
        try:
            write_atomically_by_name(path, write, ".npy")
        finally:
            bar.close()
    else:
        samples = model.sample(n, labels_of(0, n))
        (plot.image_grid if samples.shape[1] == 784 else plot.points)(samples, path, title or f"{n} samples")
    return path


# --- the demo -------------------------------------------------------------------------------
def demo(n=10000, epochs=20, seed=0, device="cpu", out=None, progress=False, log=lambda record: None,
         say=lambda text: None):
    """A VAE with an 8-unit code on n generated sprites, whose generative factors are known:
    what each unit learned, measured (mutual information, MIG) and pictured. Returns the
    metrics and the pictures written in ``out`` (None without matplotlib)."""
    backend.array_module(device)
    backend.manual_seed(seed)
    d = load_dataset("sprites", n=n, seed=seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli").to(device)
    say(f"VAE 784-400-8 on {len(d.train)} generated sprites (Bernoulli decoder); -ELBO in nats per image")
    start = time.perf_counter()
    history = fit(model, d.train, valid=d.valid, epochs=epochs, batch_size=100, lr=2e-3, seed=seed, out=out,
                  progress=progress, log=log)
    x = np.concatenate([d.train, d.valid])
    factors = np.concatenate([d.factors_train, d.factors_valid])
    with no_grad():   # what each unit carries about each factor, over every sprite
        codes = np.concatenate([model.code(model.as_input(x[i:i + 1000])).numpy() for i in range(0, len(x), 1000)])
    mig, info = evaluate.mutual_information_gap(codes, factors)
    n_active, variance = evaluate.active_units(model, d.valid)
    order = [int(j) for j in np.argsort(-variance)[:n_active]]   # the active units, most used first
    tracks = {j: d.factor_names[int(info[j].argmax())] for j in order}
    metrics = {"dataset": "sprites", "model": model.spec, "epochs": len(history),
               "valid_elbo": evaluate.elbo(model, d.valid),
               "valid_L_100": float(evaluate.log_likelihood(model, d.valid[:500], k=100).mean()),
               "active_units": n_active, "mig": mig,
               "mutual_information_nats": {f"z{j}": dict(zip(d.factor_names, map(float, info[j])))
                                           for j in range(len(info))},
               "unit_tracks": {f"z{j}": tracks[j] for j in order},
               "seconds": time.perf_counter() - start, "history": history}
    return metrics, _demo_pictures(model, d, out, history, order, tracks, info) if out else None


def _demo_pictures(model, d, out, history, order, tracks, info):
    if not _can_plot():
        return None
    x, shapes = d.valid[:2000], d.y_valid[:2000]
    with no_grad():
        codes = model.code(model.as_input(x)).numpy()
        weights = iwae_bound(model.log_weights(model.as_input(x[:200]), 50))[1].numpy()
    pair = tuple(order[:2])
    names = [f"z{j}: {tracks[j]} ({info[j].max():.2f})" for j in order]
    at = lambda name: os.path.join(out, f"{name}.png")
    return [plot.image_grid(np.concatenate([x[:32], model.reconstruct(x[:32])]), at("reconstructions"),
                            "inputs, then reconstructions"),
            plot.image_grid(model.sample(64), at("samples"), "samples from p(z)"),
            plot.traversal(model, x[0], at("traversal"), units=order, labels=names),
            plot.manifold(model, at("manifold"), units=pair),
            plot.latent_scatter(codes[:, list(pair)], at("latent"), shapes,
                                f"posterior means on z{pair[0]}, z{pair[1]}, by shape"),
            plot.weight_histogram(weights, at("weights")),
            plot.curves(history, at("curves"))]
