"""The ``minivae`` command: demo, models, train, eval, sample, download, bench.

A user's mistake (an unknown name, a missing or corrupt file, wrong shapes, bad numbers)
ends in one line on stderr and exit status 2, and no existing file is overwritten unless
--force says so.
"""
import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

from . import backend, config, distributed, eval as evaluate, plot
from .core import no_grad
from .data import NAMES, load_dataset
from .functional import iwae_bound
from .models import MODELS, check_sizes, create
from .train import TrainingDiverged, fit, load_model, read_checkpoint


class UserError(ValueError):
    pass


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _check_output(path, force):
    """Before any work: the output file may be written."""
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder; --out names the file to write")
    if os.path.exists(path) and not force:
        raise UserError(f"{path} exists; pass --force to replace it")


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2^32), got {value}")
    return value


def _write_json(path, payload, force):
    _check_output(path, force)
    try:
        text = json.dumps(payload, indent=2, allow_nan=False)
    except ValueError:   # NaN is not JSON
        bad = sorted(k for k, v in payload.items() if isinstance(v, float) and not np.isfinite(v))
        raise UserError(f"the results hold NaN or infinite values ({', '.join(bad)}); {path} was not written") from None
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def _fresh_folder(path, default, force):
    """The output folder: a given one must be empty (or --force); the default one is
    numbered if it exists, so that rerunning never touches earlier results."""
    if path is None:
        path, i = default, 1
        while os.path.exists(path) and os.listdir(path):
            path, i = f"{default}-{i}", i + 1
    elif os.path.exists(path) and os.listdir(path) and not force:
        raise UserError(f"{path} is not empty; choose another --out, or pass --force")
    os.makedirs(path, exist_ok=True)
    return path


def _loss_name(model):
    """What the printed losses are, per example."""
    if getattr(model, "loss_name", None):
        return model.loss_name
    if hasattr(model, "log_weights") and not hasattr(model, "elbo_terms"):
        return f"-L_{model.k} (nats)"
    return "-ELBO (nats)" if hasattr(model, "elbo_terms") else "loss"


def _epoch_line(record, name):
    train = [(k[6:], v) for k, v in record.items() if k.startswith("train_")]
    if "stage" in record:   # a model trained first (VAE_Disl's GAN, DR-VAE's classifier)
        name = "loss"
    parts = ([f"{record['stage']}:"] if "stage" in record else []) + [f"epoch {record['epoch']:3d}"]
    if len(train) == 1:
        parts.append(f"train {name} {train[0][1]:.4f}")
    else:   # several players, each with its own loss
        parts += [f"train {k} {v:.4f}" for k, v in train]
    if "valid_loss" in record:
        parts.append(f"valid {name} {record['valid_loss']:.4f}")
    return "  ".join(parts) + f"  ({record['seconds']:.1f} s)"


def _pictures(model, data, out, history):
    """The pictures the model declares (Model.pictures), then its training curves."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("pictures skipped: they need matplotlib (pip install 'minivae[plot]')")
        return []
    wanted, written = set(model.pictures), []
    x, y = data.valid[:2000], None if data.y_valid is None else data.y_valid[:2000]
    with_labels = getattr(model, "n_classes", None) if model.labels else None
    at = lambda name: os.path.join(out, f"{name}.png")
    if "latent" in wanted:
        with no_grad():
            codes = model.code(model.as_input(x), y if with_labels else None).numpy()
        written.append(plot.latent_scatter(codes, at("latent"), None if y is None or y.ndim != 1 else y))
    samples = model.sample(64, np.arange(64) % with_labels if with_labels else None) if "samples" in wanted else None
    recon = model.reconstruct(x[:32], y[:32] if with_labels else None) if "reconstructions" in wanted else None
    if data.image_shape:
        if samples is not None:
            written.append(plot.image_grid(samples, at("samples"), "samples", data.image_shape))
        if recon is not None:
            written.append(plot.image_grid(np.concatenate([x[:32], recon]), at("reconstructions"),
                                           "inputs, then reconstructions", data.image_shape))
        if "manifold" in wanted and getattr(model, "z_dim", 0) == 2 and not with_labels:
            written.append(plot.manifold(model, at("manifold"), shape=data.image_shape))
        if "traversal" in wanted and not with_labels and hasattr(model, "z_dim"):
            written.append(plot.traversal(model, x[0], at("traversal"), shape=data.image_shape))
    else:
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


def demo(args):
    """A VAE with an 8-unit code on the generated sprites, whose generative factors are known:
    what each unit learned, measured (mutual information, MIG) and pictured."""
    backend.array_module(args.device)
    out = _fresh_folder(args.out, "minivae-demo", args.force)
    backend.manual_seed(args.seed)
    data = load_dataset("sprites", n=args.n, seed=args.seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu",
                   likelihood="bernoulli").to(args.device)
    print(f"VAE 784-400-8 on {len(data.train)} generated sprites (Bernoulli decoder); -ELBO in nats per image",
          flush=True)
    start = time.perf_counter()
    history = fit(model, data.train, valid=data.valid, epochs=args.epochs, batch_size=100, lr=2e-3,
                  seed=args.seed, out=out, progress=not args.quiet,
                  log=lambda r: print(f"epoch {r['epoch']:3d}  -ELBO train {r['train_model']:8.3f}"
                                      f"  valid {r['valid_loss']:8.3f}  KL {r['valid_kl']:6.3f}"
                                      f"  ({r['seconds']:.1f} s)", flush=True))
    x = np.concatenate([data.train, data.valid])
    factors = np.concatenate([data.factors_train, data.factors_valid])
    with no_grad():   # what each unit carries about each factor, over every sprite
        codes = np.concatenate([model.code(model.as_input(x[i:i + 1000])).numpy() for i in range(0, len(x), 1000)])
    mig, info = evaluate.mutual_information_gap(codes, factors)
    n_active, variance = evaluate.active_units(model, data.valid)
    order = [int(j) for j in np.argsort(-variance)[:n_active]]   # the active units, most used first
    tracks = {j: data.factor_names[int(info[j].argmax())] for j in order}
    metrics = {"dataset": "sprites", "model": model.spec, "epochs": len(history),
               "valid_elbo": evaluate.elbo(model, data.valid),
               "valid_L_100": float(evaluate.log_likelihood(model, data.valid[:500], k=100).mean()),
               "active_units": n_active, "mig": mig,
               "mutual_information_nats": {f"z{j}": dict(zip(data.factor_names, map(float, info[j])))
                                           for j in range(len(info))},
               "unit_tracks": {f"z{j}": tracks[j] for j in order},
               "seconds": time.perf_counter() - start, "history": history}
    _write_json(os.path.join(out, "metrics.json"), metrics, force=True)
    for path in _demo_pictures(model, data, out, history, order, tracks, info):
        print(f"wrote {path}")
    print(f"valid ELBO {metrics['valid_elbo']:.3f}, L_100 {metrics['valid_L_100']:.3f} nats; "
          f"{n_active} active units; MIG {mig:.3f}")
    print("what the active units track (mutual information in nats): "
          + ", ".join(f"z{j} {tracks[j]} {info[j].max():.2f}" for j in order))
    print(f"results in {out}/")
    return 0


def _demo_pictures(model, data, out, history, order, tracks, info):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("pictures skipped: they need matplotlib (pip install 'minivae[plot]')")
        return []
    x, shapes = data.valid[:2000], data.y_valid[:2000]
    with no_grad():
        codes = model.code(model.as_input(x)).numpy()
        weights = iwae_bound(model.log_weights(model.as_input(x[:200]), 50))[1].numpy()
    pair = tuple(order[:2])
    labels = [f"z{j}: {tracks[j]} ({info[j].max():.2f})" for j in order]
    return [plot.image_grid(np.concatenate([x[:32], model.reconstruct(x[:32])]),
                            os.path.join(out, "reconstructions.png"), "inputs, then reconstructions"),
            plot.image_grid(model.sample(64), os.path.join(out, "samples.png"), "samples from p(z)"),
            plot.traversal(model, x[0], os.path.join(out, "traversal.png"), units=order, labels=labels),
            plot.manifold(model, os.path.join(out, "manifold.png"), units=pair),
            plot.latent_scatter(codes[:, list(pair)], os.path.join(out, "latent.png"), shapes,
                                f"posterior means on z{pair[0]}, z{pair[1]}, by shape"),
            plot.weight_histogram(weights, os.path.join(out, "weights.png")),
            plot.curves(history, os.path.join(out, "curves.png"))]


def models(args):
    print("\n".join(MODELS))
    return 0


def _train_settings(args):
    """The run's settings: flags, then --config, then (resuming) the run's own, then defaults."""
    given = {"model": args.model, "data": args.data, "data_dir": args.data_dir, "limit": args.limit,
             "binarize": args.binarize, "latent_dim": args.latent_dim, "hidden": args.hidden,
             "activation": args.activation, "likelihood": args.likelihood, "k": args.k, "beta": args.beta,
             "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "adam_eps": args.adam_eps,
             "staged": args.staged, "warmup": args.warmup, "patience": args.patience, "seed": args.seed,
             "optimizer": args.optimizer, "loss_scale": args.loss_scale, "labels_fraction": args.labels_fraction,
             "options": dict(args.set) if args.set else None, "pictures": False if args.no_pictures else None}
    saved = None
    if args.resume:
        if not args.out or not os.path.exists(os.path.join(args.out, "checkpoint.npz")):
            raise UserError("--resume needs --out naming a folder with checkpoint.npz")
        saved = read_checkpoint(os.path.join(args.out, "checkpoint.npz"))[0].get("config")
        if saved is None and not (args.model and args.data):
            raise UserError(f"{args.out}/checkpoint.npz does not record its settings (an older run): "
                            "give the model and --data as the run was started")
    s = config.resolve(given, config.read_file(args.config) if args.config else None, saved)
    if s["data_dir"] and not os.path.isabs(s["data_dir"]):   # found again from any folder (eval, --resume)
        s["data_dir"] = os.path.abspath(s["data_dir"])
    return s


def _same_run(out, saved):
    """A run folder is one run: its config.json (the record a user reads) and its checkpoint
    (what --resume continues) must say the same, or the folder holds another run's
    checkpoint, or a hand-edited record that the run would not follow."""
    path = os.path.join(out, "config.json")
    if saved is None or not os.path.exists(path):
        return
    try:
        record = config.read_file(path)
    except ValueError as e:
        raise UserError(str(e)) from None
    differ = sorted(k for k in set(record) | set(saved) if record.get(k) != saved.get(k))
    if differ:
        raise UserError(f"{out}: config.json and checkpoint.npz disagree on " + ", ".join(
            f"{k} ({record.get(k)!r} against {saved.get(k)!r})" for k in differ) + "; the checkpoint is another "
            "run's, or config.json was edited. Change a run's settings with flags on --resume, or start a new run")


def train(args):
    backend.array_module(args.device)   # an unavailable device is a mistake found before any work
    s = _train_settings(args)
    data = load_dataset(s["data"], s["data_dir"], seed=s["seed"])
    if s["limit"]:
        data.train = data.train[:s["limit"]]
        data.y_train = None if data.y_train is None else data.y_train[:s["limit"]]
    if s["binarize"]:   # dynamic binarization: a fresh Bernoulli draw of each grey level
        from .data import binarize
        data.train, data.valid = binarize(data.train, s["seed"]), binarize(data.valid, s["seed"] + 1)
        data.binary = True
    kwargs, reason = config.model_kwargs(s, data)   # every check before anything is written
    if kwargs.get("likelihood") == "bernoulli" and (data.train.min() < 0 or data.train.max() > 1):
        raise UserError(f"a Bernoulli likelihood needs data in [0, 1]; {data.name} lies in "
                        f"[{data.train.min():.3g}, {data.train.max():.3g}]")
    check_sizes(s["model"], kwargs)
    world = distributed.world()   # under mpiexec: rank 0 makes the folder and writes in it
    if args.resume and world.rank == 0:   # rank 0 alone: it rewrites config.json below
        _same_run(args.out, read_checkpoint(os.path.join(args.out, "checkpoint.npz"))[0].get("config"))
    out = args.out if args.resume else world.broadcast(
        _fresh_folder(args.out, f"runs/{s['model']}", args.force) if world.rank == 0 else None)
    backend.manual_seed(s["seed"])
    model = create(s["model"], **kwargs).to(args.device)
    name = _loss_name(model)
    shape = {k: v for k, v in kwargs.items() if k in ("z_dim", "z_dims", "hidden", "activation", "k", "beta")}
    print(f"{s['model']} {shape} on {len(data.train)} examples of {data.name}"
          + (f"; likelihood {reason}" if reason else "") + f"; printing {name} per example", flush=True)
    if world.rank == 0:   # the folder's record of the run, as resumed too (flags may change epochs, say)
        config.write(os.path.join(out, "config.json"), s)
    labelled = data.y_train is not None and data.y_train.dtype.kind in "iu"
    cls = type(model)   # what it does with labels, it declares (Model.labels)
    labels = data.y_train if config.labels_used(cls, s["labels_fraction"], labelled) else None
    if labels is not None and cls.labels == "semi-supervised":   # the rest are unknown, -1
        hidden = np.random.default_rng(s["seed"]).random(len(data.y_train)) >= s["labels_fraction"]
        labels = np.where(hidden, -1, data.y_train)
    if hasattr(model, "classifier_file") and labels is None and not args.resume:
        _classifier_first(model, s, out, args.quiet, world)
    history = fit(model, data.train, labels, data.valid, data.y_valid if labels is not None else None,
                  epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"], out=out,
                  resume=args.resume, patience=s["patience"], warmup_epochs=s["warmup"],
                  schedule="staged" if s["staged"] else None, progress=not args.quiet,
                  log=lambda r: print(_epoch_line(r, name), flush=True), force=args.force,
                  adam={"eps": s["adam_eps"]} if s["optimizer"] == "adam" else None, config=s,
                  graphs=False if args.eager or s["optimizer"] != "adam" or world.size > 1 else None,
                  optimizer=s["optimizer"], loss_scale=s["loss_scale"], world=world)
    if world.rank != 0:
        return 0
    if s["pictures"]:
        for path in _pictures(model, data, out, history):
            print(f"wrote {path}")
    print(f"checkpoint: {os.path.join(out, 'checkpoint.npz')}")
    return 0


def _classifier_first(model, s, out, quiet, world):
    """DR-VAE on unlabelled data: its classifier learns from the labelled MNIST test set
    (mnist_test_gray.npz in the data folder) when the images are 28 x 28 and it is there, else
    from the sprites' shapes; it is saved in the run folder, where the VAE's training finds it.
    Under mpiexec the ranks share its batches, as they do the VAE's."""
    if model.classifier_file and os.path.exists(model.classifier_file):
        return
    source = None
    if model.x_dim == 784:
        try:
            source = load_dataset("mnist", s["data_dir"])
        except ValueError:
            pass
    source = source or load_dataset("sprites", seed=s["seed"])
    if source.x_dim != model.x_dim or int(source.y_train.max()) >= model.classifier.n_classes:
        raise UserError(f"dr-vae: these data have no labels, and the labelled {source.name} images do not fit "
                        f"this model ({source.x_dim} values, {int(source.y_train.max()) + 1} classes); train on "
                        "labelled data or --set classifier_file=a trained classifier's .npz")
    path = model.classifier_file or os.path.join(out, "classifier.npz")
    print(f"dr-vae: its classifier learns from {len(source.train)} labelled images of {source.name} first", flush=True)
    # Rank 0 alone writes the file (two writers raced: rank 0's run-folder lock clears
    # temporary files, another rank's among them); the others wait for it to be whole.
    model.classifier_file = path if world.rank == 0 else None
    try:
        model.before_fit(source.train, source.y_train, lambda stage, x, epochs, labels=None: fit(
            stage, x, labels, epochs=epochs, batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"],
            progress=not quiet, log=lambda r: print(_epoch_line({"stage": type(stage).__name__, **r}, "loss"),
                                                    flush=True), world=world))
    finally:
        model.classifier_file = path
    world.broadcast(None)


def figure(args):
    from . import figures
    if args.list:
        for name, what in figures.describe().items():
            print(f"{name:22s} {what}")
        return 0
    if args.name not in figures.FIGURES:
        raise UserError(f"unknown figure {args.name!r}; choose from {', '.join(figures.FIGURES)} (or --list)")
    out = args.out or f"{args.name}.png"
    _check_output(out, args.force)
    try:
        print(f"wrote {figures.draw(args.name, out, args.seed, args.data_dir)}")
    except ValueError as e:
        raise UserError(str(e)) from None
    return 0


def _checked(model, header, data, split):
    x, y = data.split(split)
    if x.shape[1] != model.x_dim:
        raise UserError(f"the checkpoint's {header['model']['name']} takes {model.x_dim} features; "
                        f"{data.name} has {x.shape[1]}")
    return x, y


def eval_(args):
    backend.array_module(args.device)
    model, header = load_model(args.checkpoint, args.device)
    if not model.has_encoder:
        raise UserError(f"{args.checkpoint} holds a {header['model']['name']}, which has no encoder and no "
                        "likelihood to evaluate" + ("; `minivae sample` draws from it" if model.generative else ""))
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                   f"eval-{args.split}-k{args.k}.json")
    _check_output(out, args.force)
    trained = header.get("config", {})
    if not (args.data or trained.get("data")):
        raise UserError("--data is needed: the checkpoint does not say what it was trained on")
    data = load_dataset(args.data or trained["data"], args.data_dir or trained.get("data_dir"))
    x, y = _checked(model, header, data, args.split)
    x = x[:args.limit] if args.limit else x
    if model.labels == "required" and (y is None or y.dtype.kind not in "iu"):
        raise UserError(f"{args.checkpoint} holds a {header['model']['name']}, which needs class labels; "
                        f"{data.name} has none (evaluate it on labelled data)")
    labels = y[:len(x)] if y is not None and model.labels and getattr(model, "n_classes", None) else None
    backend.manual_seed(args.seed)
    result = {"checkpoint": args.checkpoint, "data": data.name, "split": args.split, "n": len(x),
              "seed": args.seed, "model": header["model"]}
    if hasattr(model, "elbo_terms") or hasattr(model, "log_weights"):
        result["elbo"] = evaluate.elbo(model, x, labels)
    if hasattr(model, "log_weights"):   # under mpiexec, each rank scores its share of the examples
        world = distributed.world()
        result[f"L_{args.k}"] = float(evaluate.log_likelihood(model, x, k=args.k, y=labels, seed=args.seed,
                                                              world=world, progress=not args.quiet).mean())
        if world.rank != 0:
            return 0
    result["active_units"] = evaluate.active_units(model, x, y=labels)[0]
    result["reconstruction_error"] = evaluate.reconstruction_error(model, x, y=labels)
    for k, v in result.items():
        if isinstance(v, (int, float)):
            print(f"{k:22s} {v:.4f}" if isinstance(v, float) else f"{k:22s} {v}")
    print(f"wrote {_write_json(out, result, args.force)}")
    return 0


PNG_SAMPLES = 1024   # a grid of more is no picture anyone can read
CHUNK = 10000


def sample(args):
    backend.array_module(args.device)
    model, header = load_model(args.checkpoint, args.device)
    if not model.generative:
        raise UserError(f"{args.checkpoint} holds a {header['model']['name']}, which draws no samples")
    _check_output(args.out, args.force)
    if not args.out.endswith((".png", ".npy")):
        raise UserError(f"--out {args.out}: write a picture (.png) or the samples themselves (.npy)")
    if args.out.endswith(".png") and args.n > PNG_SAMPLES:
        raise UserError(f"-n {args.n}: a picture holds at most {PNG_SAMPLES} samples; write them to a .npy file")
    backend.manual_seed(args.seed)
    classes = getattr(model, "n_classes", None)
    labels = lambda start, stop: np.arange(start, stop) % classes if classes else None
    if args.out.endswith(".npy"):   # in chunks, into a temporary file renamed when complete
        tmp = os.path.join(os.path.dirname(os.path.abspath(args.out)), f".tmp-{os.getpid()}.npy")
        try:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(args.n, model.x_dim))
            for start in range(0, args.n, CHUNK):
                stop = min(start + CHUNK, args.n)
                out[start:stop] = model.sample(stop - start, labels(start, stop))
            out.flush()
            del out
            os.replace(tmp, args.out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    else:
        samples = model.sample(args.n, labels(0, args.n))
        title = f"{header['model']['name']}: {args.n} samples"
        (plot.image_grid if samples.shape[1] == 784 else plot.points)(samples, args.out, title)
    print(f"wrote {args.out}")
    return 0


def download_(args):
    from .data import download
    from .data.datasets import data_dir
    for path in download(args.name, data_dir(args.data_dir)):
        print(f"have {path}")
    return 0


def bench(args):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench")
    if not os.path.isdir(root):
        raise UserError("the benchmarks live in the source checkout's bench/ folder, not in an installed package")
    scripts = ["engine_overhead.py", "kernels.py", "threads.py", "vae_step.py", "iwae_step.py"]
    others = ["quality.py", "gpu_step.py", "conv_step.py", "scaling.py"]   # long, or needing a GPU, torch or MPI
    if args.only and args.only not in scripts + others:
        raise UserError(f"no benchmark {args.only!r}; choose from {', '.join(scripts + others)}")
    for script in scripts if not args.only else [args.only]:
        print(f"== bench/{script}", flush=True)
        code = subprocess.call([sys.executable, os.path.join(root, script)])
        if code:
            return code
    return 0


def _cores():
    """The cores this process may use, shared among the MPI ranks on this machine when
    mpiexec started several here (each rank's BLAS on every core would oversubscribe them)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // distributed.ranks_here())


def _sizes(text):
    try:
        return config.parse_sizes(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _assignment(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value   # a plain word: a string


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line on stderr and exit status 2, like every other mistake
    (argparse prints the whole usage first); --help still shows the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser():
    p = _Parser(prog="minivae", description="Autoencoders and VAEs on a from-scratch engine.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="train a VAE on generated sprites, write pictures and metrics", formatter_class=_Help)
    d.add_argument("--out", help="results folder (default: a fresh minivae-demo folder)")
    d.add_argument("--epochs", type=_positive(int), default=20)
    d.add_argument("--n", type=_positive(int), default=10000, help="number of sprites")
    d.add_argument("--seed", type=_seed, default=0)
    d.set_defaults(run=demo)

    sub.add_parser("models", help="list the model names").set_defaults(run=models)

    t = sub.add_parser("train", help="train a model on a dataset",
                       description="Train a model. Each setting comes from the flag, else --config, else "
                                   "(with --resume) the run's saved settings, else the default shown.")
    t.add_argument("model", nargs="?", help="one of: " + ", ".join(MODELS) + " (with --resume: the run's)")
    t.add_argument("--config", help="a TOML file of settings (keys as the flags, with _), or a run's config.json")
    t.add_argument("--data", help="a dataset name (" + ", ".join(NAMES) + ") or a file path")
    t.add_argument("--data-dir", help="where dataset files are looked for: this folder, else $MINIVAE_DATA, "
                                      "else ./data")
    t.add_argument("--limit", type=_positive(int), help="train on the first N training examples only")
    t.add_argument("--latent-dim", type=_sizes, help="code size; iwae: one per stochastic layer, e.g. 100,50 "
                                                     "(default 2)")
    t.add_argument("--hidden", type=_sizes, help="hidden layer sizes, e.g. 200,200; iwae: per layer, "
                                                 "200,200;100,100 (default 400 for images, else 64,64)")
    t.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu"], help="hidden activation "
                   "(default: the model's)")
    t.add_argument("--likelihood", choices=["bernoulli", "gaussian"],
                   help="p(x|z) (default: bernoulli when every value is 0 or 1, else gaussian)")
    t.add_argument("--k", type=_positive(int), help="importance samples (iwae)")
    t.add_argument("--beta", type=_positive(float), help="KL weight (vae, beta-vae, cvae)")
    t.add_argument("--set", action="append", type=_assignment, metavar="KEY=VALUE",
                   help="any other model argument, e.g. --set lam=0.1 --set corruption=masking (repeatable)")
    t.add_argument("--epochs", type=_positive(int), help="default 10")
    t.add_argument("--batch-size", type=_positive(int), help="default 100")
    t.add_argument("--lr", type=_positive(float), help="Adam's learning rate (default 1e-3)")
    t.add_argument("--optimizer", choices=["adam", "sgd", "adagrad"],
                   help="default adam; AEVB's Algorithm 1 names SGD and Adagrad")
    t.add_argument("--loss-scale", choices=["example", "dataset"],
                   help="descend the batch's mean loss (example, the default) or N/M times its sum, "
                        "the estimate of the whole data set's bound (dataset: AEVB Eq. 8)")
    t.add_argument("--adam-eps", type=_positive(float), help="Adam's epsilon (default 1e-8; the IWAE paper: 1e-4)")
    t.add_argument("--warmup", type=int, help="KL warm-up epochs (default 0)")
    t.add_argument("--patience", type=_positive(int), help="early stopping after N epochs without improvement")
    t.add_argument("--labels-fraction", type=float,
                   help="aae: train label-informed with this fraction of the labels, the rest unknown (-1)")
    t.add_argument("--staged", action="store_true", default=None, help="the IWAE paper's learning-rate stages")
    t.add_argument("--binarize", action="store_true", default=None,
                   help="binarize grey levels (dynamic binarization)")
    t.add_argument("--seed", type=_seed, help="default 0")
    t.add_argument("--out", help="results folder (default: a fresh runs/MODEL folder)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out (its settings need no flags)")
    t.add_argument("--no-pictures", action="store_true")
    t.add_argument("--eager", action="store_true",
                   help="on cuda, launch each step's kernels from Python instead of replaying its CUDA graph")
    t.set_defaults(run=train)

    e = sub.add_parser("eval", help="ELBO, L_k and active units of a checkpoint", formatter_class=_Help)
    e.add_argument("checkpoint")
    e.add_argument("--data", help="a dataset name or file (default: the one the checkpoint was trained on)")
    e.add_argument("--data-dir", help="where dataset files are looked for (default: the training run's, "
                                      "else $MINIVAE_DATA, else ./data)")
    e.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    e.add_argument("--k", type=_positive(int), default=5000)
    e.add_argument("--limit", type=_positive(int), help="evaluate the first N examples only")
    e.add_argument("--out", help="JSON results (default: next to the checkpoint)")
    e.add_argument("--seed", type=_seed, default=0, help="seeds the importance samples: a rerun gives the same numbers")
    e.set_defaults(run=eval_)

    s = sub.add_parser("sample", help="draw samples from a checkpoint into a PNG", formatter_class=_Help)
    s.add_argument("checkpoint")
    s.add_argument("-n", type=_positive(int), default=64)
    s.add_argument("--out", default="samples.png", help="a PNG picture, or a .npy file of the samples")
    s.add_argument("--seed", type=_seed, default=0)
    s.set_defaults(run=sample)

    g = sub.add_parser("download", help="fetch a dataset's files, checked against published digests", formatter_class=_Help)
    g.add_argument("name", help="mnist")
    g.add_argument("--data-dir", help="where to put them (default: $MINIVAE_DATA, else ./data)")
    g.set_defaults(run=download_)

    f = sub.add_parser("figure", help="draw one of the lectures' figures (training what it needs)",
                       formatter_class=_Help)
    f.add_argument("name", nargs="?", help="the figure (--list names them)")
    f.add_argument("--list", action="store_true", help="name every figure and what it shows")
    f.add_argument("--out", help="the PNG to write (default: NAME.png)")
    f.add_argument("--seed", type=_seed, default=0)
    f.add_argument("--data-dir", help="where a figure that needs real data (aae-style: labelled MNIST) "
                   "finds it (default: $MINIVAE_DATA, else ./data)")
    f.add_argument("--force", action="store_true", help="replace an existing picture")
    f.set_defaults(run=figure)

    b = sub.add_parser("bench", help="run the benchmark suite (from a source checkout)")
    b.add_argument("--only", help="one script of bench/, e.g. vae_step.py")
    b.set_defaults(run=bench)

    for command in (d, t, e, s):
        command.add_argument("--force", action="store_true", help="replace existing outputs")
    for command in (d, t, e):
        command.add_argument("--quiet", action="store_true", help="no progress bar")
    for command in (d, t, e, s):
        command.add_argument("--device", choices=backend.DEVICES, default="cpu",
                             help="where the model computes (cuda needs CuPy and a GPU)")
        command.add_argument("--threads", type=_positive(int), default=_cores(),
                             help="BLAS threads (default: the cores this process may use, shared by the MPI ranks here)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    backend.tune_malloc()
    try:
        world = distributed.world()
    except ValueError as e:
        print(f"minivae: error: {e}", file=sys.stderr)
        return 2
    if world.size == 1:
        return _run(args)
    if args.run not in (train, eval_):   # nothing to share: rank 0 does it alone
        return _run(args) if world.rank == 0 else 0
    # One of several ranks: rank 0 speaks; a rank that fails says so and ends the job (MPI
    # Abort), since the others would wait for it forever. A rank killed outright says
    # nothing, and mpiexec names only its PID: the first line says which is which.
    where = world.allgather(f"pid {os.getpid()} on {socket.gethostname()}")
    if world.rank == 0:
        print(f"minivae: {world.size} ranks; " + "; ".join(f"rank {r}: {w}" for r, w in enumerate(where)), flush=True)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(sys.stdout if world.rank == 0 else quiet):
        try:
            code = _run(args, raising=True)
        except BaseException as e:   # noqa: B036 - every failure must end the whole job
            user = isinstance(e, (ValueError, TypeError, OSError))
            print(f"minivae: rank {world.rank} of {world.size}: "
                  f"{'error: ' if user else ''}{e if user else repr(e)}", file=sys.stderr, flush=True)
            world.abort(2 if user else 1)
    return code


def _run(args, raising=False):
    if raising:
        return _with_threads(args)
    try:
        return _with_threads(args)
    except TrainingDiverged as e:
        print(f"minivae: training stopped: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as e:
        print(f"minivae: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minivae: interrupted", file=sys.stderr)
        return 130


def _with_threads(args):
    if getattr(args, "threads", None):
        # two processes each running BLAS on every core oversubscribe the machine
        # (two trainings here: 42 s an epoch each, against 4.3 s with one thread each)
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=args.threads, user_api="blas"):
            return args.run(args)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
