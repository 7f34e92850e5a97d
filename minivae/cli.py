"""The ``minivae`` command: demo, models, train, eval, sample, download, bench.

A user's mistake (an unknown name, a missing or corrupt file, wrong shapes, bad numbers)
ends in one line on stderr and exit status 2, and no existing file is overwritten unless
--force says so.
"""
import argparse
import contextlib
import json
import math
import os
import socket
import sys
import warnings

import numpy as np

from . import __version__, backend, config, distributed, run
from .atomic import output_folder, write_text
from .data import NAMES
from .models import MODELS
from .optim import OPTIMIZERS
from .train import TrainingDiverged, load_model
from .train.lock import run_folder


class UserError(ValueError):
    pass


def _number(kind, low=0, strict=True, high=None):
    """A parser of finite numbers of ``kind`` above ``low`` (or at least it, unless
    ``strict``), and at most ``high``: nan and inf are refused wherever a number is read."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a{'n integer' if kind is int else ' number'}, "
                                             f"got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if value < low or (strict and value == low) or (high is not None and value > high):
            rule = ("positive" if low == 0 and strict else f"{'above' if strict else 'at least'} {low}") \
                + (f" and at most {high}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text}")
        return value
    return parse


def _positive(kind):
    return _number(kind)


def _check_output(path, force):
    """Before any work: the output file may be written (its folder exists and is writable, it
    is no link, and it is new or --force replaces it)."""
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder; --out names the file to write")
    if os.path.islink(path):
        raise UserError(f"{path} is a symbolic link; minivae does not write through links")
    if os.path.exists(path) and not force:
        raise UserError(f"{path} exists; pass --force to replace it")
    try:
        output_folder(os.path.dirname(os.path.abspath(path)), f"the folder of {path},")
    except ValueError as e:
        raise UserError(str(e)) from None


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
    return write_text(path, text, ".json")


def _fresh_folder(path, default, force):
    """The output folder: a given one must be empty (or --force); the default one is
    numbered if it exists, so that rerunning never touches earlier results."""
    if path is None:
        path, i = default, 1
        while os.path.exists(path) and os.listdir(path):
            path, i = f"{default}-{i}", i + 1
    else:
        _folder_possible(path)
        if os.path.exists(path) and os.listdir(path) and not force:
            raise UserError(f"{path} is not empty; choose another --out, or pass --force")
    os.makedirs(path, exist_ok=True)
    return path


def _folder_possible(path):
    """--out names a folder: neither it nor a folder above it may be a file."""
    here = os.path.abspath(path)
    while not os.path.exists(here):
        here = os.path.dirname(here)
    if not os.path.isdir(here):
        what = "is a file" if here == os.path.abspath(path) else f"lies under {here}, which is a file"
        raise UserError(f"{path} {what}; --out names a folder for the run")


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


def _say_written(paths):
    """The pictures written, or why there are none (run.pictures returns None without matplotlib)."""
    print("pictures skipped: they need matplotlib (pip install 'minivae[plot]')" if paths is None else
          "\n".join(f"wrote {path}" for path in paths))


def demo(args):
    """A VAE with an 8-unit code on the generated sprites, whose generative factors are known:
    what each unit learned, measured (mutual information, MIG) and pictured (minivae.run.demo)."""
    backend.array_module(args.device)
    out = _fresh_folder(args.out, "minivae-demo", args.force)
    metrics, written = run.demo(args.n, args.epochs, args.seed, args.device, out, progress=not args.quiet,
                                say=lambda t: print(t, flush=True),
                                log=lambda r: print(f"epoch {r['epoch']:3d}  -ELBO train {r['train_model']:8.3f}"
                                                    f"  valid {r['valid_loss']:8.3f}  KL {r['valid_kl']:6.3f}"
                                                    f"  ({r['seconds']:.1f} s)", flush=True))
    _write_json(os.path.join(out, "metrics.json"), metrics, force=True)
    _say_written(written)
    info = metrics["mutual_information_nats"]
    print(f"valid ELBO {metrics['valid_elbo']:.3f}, L_100 {metrics['valid_L_100']:.3f} nats; "
          f"{metrics['active_units']} active units; MIG {metrics['mig']:.3f}")
    print("what the active units track (mutual information in nats): "
          + ", ".join(f"{j} {factor} {info[j][factor]:.2f}" for j, factor in metrics["unit_tracks"].items()))
    print(f"results in {out}/")
    return 0


def models(args):
    print("\n".join(MODELS))
    return 0


# The run settings that train and profile take from their flags (None: unset; run.settings
# fills in the config file's and the defaults).
SETTINGS = ("model", "data", "data_dir", "limit", "binarize", "latent_dim", "hidden", "activation", "likelihood", "k",
            "beta", "epochs", "batch_size", "lr", "adam_eps", "staged", "warmup", "patience", "seed", "optimizer",
            "loss_scale", "labels_fraction")


def _given(args):
    """The settings a command's flags give: those of SETTINGS it has, and --set's options."""
    return {**{k: getattr(args, k, None) for k in SETTINGS}, "options": dict(args.set) if args.set else None}


def train(args):
    backend.array_module(args.device)   # an unavailable device is a mistake found before any work
    given = {**_given(args), "pictures": False if args.no_pictures else None}
    if args.resume and not args.out:
        raise UserError("--resume needs --out naming a folder with checkpoint.npz")
    s = run.settings(given, args.config, args.out if args.resume else None)
    data = run.data(s)
    model, reason = run.build(s, data, args.device)   # every check before anything is written
    run.check_step_memory(s, model, args.device)
    world = distributed.world()   # under mpiexec: rank 0 makes the folder and writes in it
    out = args.out if args.resume else world.broadcast(
        _fresh_folder(args.out, f"runs/{s['model']}", args.force) if world.rank == 0 else None)
    # The lock first: nothing in the folder is written (config.json by fit, once the resume
    # checks pass) before it is held and every check has passed.
    with run_folder(out) if world.rank == 0 else contextlib.nullcontext():
        return _train(args, s, data, model, reason, out, world)


def _train(args, s, data, model, reason, out, world):
    if args.resume and world.rank == 0:
        run.same_run(out)
    name = _loss_name(model)
    shape = {k: v for k, v in model.spec["kwargs"].items() if k in ("z_dim", "z_dims", "hidden", "activation", "k",
                                                                     "beta")}
    shape = ", ".join(f"{k} {','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}" for k, v in shape.items())
    print(f"{s['model']} ({shape}) on {len(data.train)} examples of {data.name}"
          + (f"; likelihood {reason}" if reason else "") + f"; printing {name} per example", flush=True)
    history = run.train(model, data, run.labels(model, s, data), s, out=out, resume=args.resume, force=args.force,
                        eager=args.eager, progress=not args.quiet, stand_in=True, world=world,
                        log=lambda r: print(_epoch_line(r, name), flush=True), say=lambda t: print(t, flush=True))
    if world.rank != 0:
        return 0
    if s["pictures"]:
        _say_written(run.pictures(model, data, out, history))
    print(f"checkpoint: {os.path.join(out, 'checkpoint.npz')}")
    return 0


def figure(args):
    from . import figures
    if args.list:
        for name, what in figures.describe().items():
            print(f"{name:22s} {what}")
        return 0
    if args.name is None:
        raise UserError("give a figure name, or --list to see them")
    if args.name not in figures.FIGURES:
        raise UserError(f"unknown figure {args.name!r}; choose from {', '.join(figures.FIGURES)} (or --list)")
    out = args.out or f"{args.name}.png"
    _check_output(out, args.force)
    try:
        drawn = figures.draw(args.name, out, args.seed, args.data_dir)
        print(f"wrote {drawn.path}")
        for name, value in drawn.facts.items():
            print(f"  {name} " + (", ".join(f"{v:.4g}" for v in value) if isinstance(value, (list, tuple))
                                  else "none" if value is None else f"{value:.4g}"))
    except ValueError as e:
        raise UserError(str(e)) from None
    return 0


def eval_(args):
    backend.array_module(args.device)
    model, header = load_model(args.checkpoint, args.device)
    if not model.has_encoder:
        raise UserError(f"{args.checkpoint} holds a {header['model']['name']}, which has no encoder and no "
                        "likelihood to evaluate" + ("; `minivae sample` draws from it" if model.generative else ""))
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                   f"eval-{args.split}-k{args.k}.json")
    _check_output(out, args.force)
    name, x, y = run.evaluation_data(model, header, args.data, args.data_dir, args.split, args.limit)
    run.check_eval_memory(model, args.k, args.device)
    world = distributed.world()   # under mpiexec, each rank scores its share of the examples
    scores = run.scores(model, x, y, args.k, args.seed, world, progress=not args.quiet,
                        say=(lambda line: print(line, file=sys.stderr, flush=True)) if world.rank == 0 else None)
    if world.rank != 0:
        return 0
    result = {"checkpoint": args.checkpoint, "data": name, "split": args.split, "n": len(x), "seed": args.seed,
              "model": header["model"], **scores}
    for k, v in result.items():
        if isinstance(v, (int, float)):
            print(f"{k:22s} {v:.4f}" if isinstance(v, float) else f"{k:22s} {v}")
    print(f"wrote {_write_json(out, result, args.force)}")
    return 0


def sample(args):
    backend.array_module(args.device)
    model, header = load_model(args.checkpoint, args.device)
    if not model.generative:
        raise UserError(f"{args.checkpoint} holds a {header['model']['name']}, which draws no samples")
    _check_output(args.out, args.force)
    path = run.draw_samples(model, args.n, args.out, args.seed, f"{header['model']['name']}: {args.n} samples",
                            progress=not args.quiet)
    print(f"wrote {path}")
    return 0


def download_(args):
    from .data import download
    from .data.datasets import data_dir
    for path in download(args.name, data_dir(args.data_dir)):
        print(f"have {path}")
    return 0


def profile(args):
    from . import profiler
    backend.array_module(args.device)
    s = run.settings(_given(args), args.config)
    data = run.data(s)
    model, _ = run.build(s, data, args.device)
    run.check_step_memory(s, model, args.device)
    _folder_possible(args.out)
    files = [os.path.join(args.out, name) for name in ("profile.json", "roofline.png")]
    for path in files if os.path.isdir(args.out) else ():   # a new folder is made after the profile
        _check_output(path, args.force)
    limits = profiler.peaks(args.device, refresh=args.remeasure)
    prof, plain = profiler.profile_training(model, data.train, run.labels(model, s, data), s["batch_size"],
                                            args.steps, args.rounds, s["lr"], s["optimizer"], s["seed"], limits)
    print(f"{s['model']} on {data.name}, batch {s['batch_size']}, {args.device}: {prof.steps} steps profiled")
    print(prof.table(args.top))
    step, profiled, ops = plain, prof.seconds / prof.steps, prof.total() / prof.steps
    print(f"a step unprofiled: {step * 1e3:.3f} ms (median of {args.rounds} rounds); profiled {profiled * 1e3:.3f} ms "
          f"(profiling adds {profiled / step - 1:+.0%}); the ops' sum is {ops / step:.0%} of the unprofiled step")
    os.makedirs(args.out, exist_ok=True)
    print(f"wrote {prof.save(files[0])}")
    title = f"{s['model']}, batch {s['batch_size']}, {prof.peaks['what']}"
    try:
        print(f"wrote {prof.roofline(files[1], title)}")
    except ValueError as e:   # no matplotlib: the numbers are written
        print(f"no roofline: {e}")
    return 0


def bench(args):
    from . import benchmarks
    if args.device == "cuda" and not backend.cuda_available():
        raise UserError("bench --device cuda needs CuPy and a GPU")
    if args.out:
        _folder_possible(args.out)
    try:
        benchmarks.check(args.names, args.device)
    except ValueError as e:
        raise UserError(str(e)) from None
    benchmarks.run(args.names or None, args.quick, args.out, args.device, threads=args.threads)
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


def _demo_command(sub):
    """minivae demo"""
    d = sub.add_parser("demo", help="train a VAE on generated sprites, write pictures and metrics", formatter_class=_Help)
    d.add_argument("--out", help="results folder (default: a fresh minivae-demo folder)")
    d.add_argument("--epochs", type=_positive(int), default=20)
    d.add_argument("--n", type=_positive(int), default=10000, help="number of sprites")
    d.add_argument("--seed", type=_seed, default=0)
    d.set_defaults(run=demo)
    return d


def _model_options(p, note=""):
    """The options that make a model and its data: train's, and profile's."""
    p.add_argument("model", nargs="?", help="one of: " + ", ".join(MODELS) + note)
    p.add_argument("--config", help="a TOML file of settings (keys as the flags, with _), or a run's config.json")
    p.add_argument("--data", help="a dataset name (" + ", ".join(NAMES) + ") or a file path")
    p.add_argument("--data-dir", help="where dataset files are looked for: this folder, else $MINIVAE_DATA, "
                                      "else ./data")
    p.add_argument("--limit", type=_positive(int), help="train on the first N training examples only")
    p.add_argument("--latent-dim", type=_sizes, help="code size; iwae: one per stochastic layer, e.g. 100,50 "
                                                     "(default 2)")
    p.add_argument("--hidden", type=_sizes, help="hidden layer sizes, e.g. 200,200; iwae: per layer, "
                                                 "200,200;100,100 (default 400 for images, else 64,64)")
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu"], help="hidden activation "
                   "(default: the model's)")
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"],
                   help="p(x|z) (default: bernoulli when every value is 0 or 1, else gaussian)")
    p.add_argument("--k", type=_positive(int), help="importance samples (iwae)")
    p.add_argument("--beta", type=_positive(float), help="KL weight (vae, beta-vae, cvae)")
    p.add_argument("--set", action="append", type=_assignment, metavar="KEY=VALUE",
                   help="any other model argument, e.g. --set lam=0.1 --set corruption=masking (repeatable)")


def _train_command(sub):
    """minivae train"""
    t = sub.add_parser("train", help="train a model on a dataset",
                       description="Train a model. Each setting comes from the flag, else --config, else "
                                   "(with --resume) the run's saved settings, else the default shown.")
    _model_options(t, " (with --resume: the run's)")
    t.add_argument("--epochs", type=_positive(int), help="default 10")
    t.add_argument("--batch-size", type=_positive(int), help="default 100")
    t.add_argument("--lr", type=_positive(float), help="Adam's learning rate (default 1e-3)")
    t.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="default adam; AEVB's Algorithm 1 names SGD and Adagrad; VAE/GAN's paper, RMSProp")
    t.add_argument("--loss-scale", choices=["example", "dataset"],
                   help="descend the batch's mean loss (example, the default) or N/M times its sum, "
                        "the estimate of the whole data set's bound (dataset: AEVB Eq. 8)")
    t.add_argument("--adam-eps", type=_positive(float), help="Adam's epsilon (default 1e-8; the IWAE paper: 1e-4)")
    t.add_argument("--warmup", type=_number(int, 0, strict=False), help="KL warm-up epochs (default 0)")
    t.add_argument("--patience", type=_positive(int), help="early stopping after N epochs without improvement")
    t.add_argument("--labels-fraction", type=_number(float, 0, high=1.0),
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
    return t


def _eval_command(sub):
    """minivae eval"""
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
    return e


def _sample_command(sub):
    """minivae sample"""
    s = sub.add_parser("sample", help="draw samples from a checkpoint into a PNG", formatter_class=_Help)
    s.add_argument("checkpoint")
    s.add_argument("-n", type=_positive(int), default=64)
    s.add_argument("--out", default="samples.png", help="a PNG picture, or a .npy file of the samples")
    s.add_argument("--seed", type=_seed, default=0)
    s.set_defaults(run=sample)
    return s


def _download_command(sub):
    """minivae download"""
    g = sub.add_parser("download", help="fetch a dataset's files, checked against published digests", formatter_class=_Help)
    g.add_argument("name", help="mnist")
    g.add_argument("--data-dir", help="where to put them (default: $MINIVAE_DATA, else ./data)")
    g.set_defaults(run=download_)
    return g


def _figure_command(sub):
    """minivae figure"""
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
    return f


def _profile_command(sub):
    """minivae profile"""
    p = sub.add_parser("profile", help="where a training step's time goes, op by op, against the machine's limits",
                       description="Time a model's training step op by op: each op's forward and backward pass and "
                                   "each optimizer update, what ran it, its FLOPs and bytes, the rates achieved and "
                                   "their share of the machine's limits (measured once, cached). Prints a table and "
                                   "writes profile.json and roofline.png. Settings as train's.")
    _model_options(p)
    p.add_argument("--batch-size", type=_positive(int), help="default 100")
    p.add_argument("--lr", type=_positive(float), help="the optimizer's learning rate (default 1e-3)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default adam")
    p.add_argument("--labels-fraction", type=_number(float, 0, high=1.0),
                   help="aae: label-informed with this fraction of the labels")
    p.add_argument("--binarize", action="store_true", default=None, help="binarize grey levels")
    p.add_argument("--seed", type=_seed, help="default 0")
    p.add_argument("--steps", type=_positive(int), default=10, help="steps a round (default 10)")
    p.add_argument("--rounds", type=_positive(int), default=5,
                   help="rounds of steps unprofiled, then profiled (default 5)")
    p.add_argument("--top", type=_positive(int), default=25, help="rows of the table printed (default 25)")
    p.add_argument("--out", default="minivae-profile",
                   help="the folder for profile.json and roofline.png (default: ./minivae-profile)")
    p.add_argument("--remeasure", action="store_true", help="measure the machine's limits again, not from the cache")
    p.set_defaults(run=profile)
    return p


def _bench_command(sub):
    """minivae bench"""
    b = sub.add_parser("bench", help="time minivae's kernels, ops and training steps against PyTorch and JAX")
    b.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all of the device's: "
                   "engine_overhead kernels vae_step iwae_step conv_step; on cuda gpu_step conv_step)")
    b.add_argument("--quick", action="store_true", help="fewer shapes and repeats: about a minute on 2 cores")
    b.add_argument("--out", help="the results folder, JSON and a PNG chart per benchmark (default: ./minivae-bench; "
                   "a checkout's committed bench/results only when named)")
    b.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    b.add_argument("--threads", type=_positive(int), help="threads for every library, minivae's and the peers' "
                   "(BLAS, OpenMP, Numba, PyTorch, XLA; default: each library's own)")
    b.set_defaults(run=bench)
    return b


def parser():
    p = _Parser(prog="minivae", description="Autoencoders and VAEs on a from-scratch engine.")
    p.add_argument("--version", action="version", version=f"minivae {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    runs = [_demo_command(sub)]   # the commands that train or run a model
    sub.add_parser("models", help="list the model names").set_defaults(run=models)
    runs += [_train_command(sub), _eval_command(sub), _sample_command(sub), _profile_command(sub)]
    for command in (_download_command, _figure_command, _bench_command):
        command(sub)
    for command in runs:
        command.add_argument("--force", action="store_true", help="replace existing outputs")
        command.add_argument("--quiet", action="store_true", help="no progress bar")
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


def _one_line(message, category, filename, lineno, file=None, line=None):
    """A warning as the command's other messages are: one line, no source path."""
    print(f"minivae: warning: {message}", file=sys.stderr if file is None else file, flush=True)


def _run(args, raising=False):
    with warnings.catch_warnings():
        warnings.showwarning = _one_line
        return _run_quietly(args, raising)


def _run_quietly(args, raising):
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
    except MemoryError as e:   # what the estimates up front did not catch; every write is atomic
        print(f"minivae: out of memory{': ' + str(e) if str(e) else ''}; try a smaller --batch-size, -n, --k or "
              "--limit", file=sys.stderr)
        return 1


def _with_threads(args):
    usable = _cores()
    if getattr(args, "threads", None) and args.threads > usable:
        print(f"minivae: --threads {args.threads} is more than the {usable} cores this process may use; "
              f"using {usable} (more threads than cores only wait on each other)", file=sys.stderr)
        args.threads = usable
    if getattr(args, "threads", None):
        # two processes each running BLAS on every core oversubscribe the machine
        # (two trainings here: 42 s an epoch each, against 4.3 s with one thread each)
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=args.threads, user_api="blas"):
            return args.run(args)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
