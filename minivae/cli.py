"""The ``minivae`` command: demo, models, train, eval, sample, download, bench.

A user's mistake (an unknown name, a missing or corrupt file, wrong shapes, bad numbers)
ends in one line on stderr and exit status 2, and no existing file is overwritten unless
--force says so.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from . import backend, eval as evaluate, plot
from .core import no_grad
from .data import NAMES, load_dataset
from .functional import iwae_bound
from .models import MODELS, check_sizes, create, options
from .ops import Tensor
from .train import TrainingDiverged, fit, load_model


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


FLAG_OPTIONS = {"k": "--k", "beta": "--beta"}   # model options a flag sets


def _model_kwargs(name, data, args):
    """Constructor arguments from the data and the flags. A flag the model does not take is
    an error, not silently dropped."""
    accepted = options(name)
    for option, flag in FLAG_OPTIONS.items():
        if getattr(args, option, None) is not None and option not in accepted:
            takers = [m for m in MODELS if option in options(m)]
            raise UserError(f"{flag} does not apply to {name}; it applies to {', '.join(takers)}")
    wide = data.x_dim > 100
    wanted = {"x_dim": data.x_dim, "z_dim": args.latent_dim, "z_dims": [args.latent_dim],
              "hidden": ([[400]] if wide else [[64, 64]]) if name == "iwae" else ([400] if wide else [64, 64]),
              "likelihood": "bernoulli" if data.binary else "gaussian", "k": args.k, "beta": args.beta}
    if name == "cvae":
        if data.y_train is None or data.y_train.dtype.kind not in "iu":
            raise UserError(f"cvae needs labeled data; {data.name} has no integer labels")
        low = min(int(y.min()) for y in (data.y_train, data.y_valid) if y is not None and len(y))
        if low < 0:
            raise UserError(f"cvae needs class labels 0, 1, 2, ...; {data.name} has the label {low}")
        wanted["n_classes"] = int(data.y_train.max()) + 1
    return {k: v for k, v in wanted.items() if k in accepted and v is not None}


def _epoch_line(record):
    parts = [f"epoch {record['epoch']:3d}"]
    parts += [f"{k[6:]} {v:.4f}" for k, v in record.items() if k.startswith("train_")]
    if "valid_loss" in record:
        parts.append(f"valid {record['valid_loss']:.4f}")
    return "  ".join(parts) + f"  ({record['seconds']:.1f} s)"


def _pictures(model, data, out, history):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("pictures skipped: they need matplotlib (pip install 'minivae[plot]')")
        return []
    written = []
    x, y = data.valid[:2000], None if data.y_valid is None else data.y_valid[:2000]
    with_labels = getattr(model, "n_classes", None)
    with no_grad():
        codes = model.code(Tensor(x), y if with_labels else None).numpy()
    written.append(plot.latent_scatter(codes, os.path.join(out, "latent.png"),
                                       None if y is None or y.ndim != 1 else y))
    sample_y = np.arange(64) % with_labels if with_labels else None
    samples = model.sample(64, sample_y)
    recon = model.reconstruct(x[:32], y[:32] if with_labels else None)
    if data.image_shape:
        written.append(plot.image_grid(samples, os.path.join(out, "samples.png"), "samples", data.image_shape))
        written.append(plot.image_grid(np.concatenate([x[:32], recon]), os.path.join(out, "reconstructions.png"),
                                       "inputs, then reconstructions", data.image_shape))
        if getattr(model, "z_dim", 0) == 2 and not with_labels:
            written.append(plot.manifold(model, os.path.join(out, "manifold.png"), shape=data.image_shape))
        if not with_labels and hasattr(model, "z_dim"):
            written.append(plot.traversal(model, x[0], os.path.join(out, "traversal.png"), shape=data.image_shape))
    else:
        written.append(plot.points(x, os.path.join(out, "samples.png"), "data and samples", samples))
        written.append(plot.points(x[:32], os.path.join(out, "reconstructions.png"), "data and reconstructions",
                                   recon, ("data", "reconstruction")))
    if hasattr(model, "log_weights") and not with_labels:
        with no_grad():
            logw = model.log_weights(Tensor(x[:200]), 50)   # IWAE also returns its first-layer samples
            weights = iwae_bound(logw[0] if isinstance(logw, tuple) else logw)[1].numpy()
        written.append(plot.weight_histogram(weights, os.path.join(out, "weights.png")))
    written.append(plot.curves(history, os.path.join(out, "curves.png")))
    return written


def demo(args):
    """Train a VAE with a 2-D code on the generated sprites; write pictures and metrics."""
    out = _fresh_folder(args.out, "minivae-demo", args.force)
    backend.manual_seed(args.seed)
    data = load_dataset("sprites", n=args.n, seed=args.seed)
    model = create("vae", x_dim=784, z_dim=2, hidden=[256], activation="relu", likelihood="bernoulli")
    print(f"VAE 784-256-2 on {len(data.train)} generated sprites (Bernoulli decoder); -ELBO in nats per image",
          flush=True)
    start = time.perf_counter()
    history = fit(model, data.train, valid=data.valid, epochs=args.epochs, batch_size=100, lr=2e-3,
                  seed=args.seed, out=out, progress=not args.quiet,
                  log=lambda r: print(f"epoch {r['epoch']:3d}  -ELBO train {r['train_model']:8.3f}"
                                      f"  valid {r['valid_loss']:8.3f}  KL {r['valid_kl']:6.3f}"
                                      f"  ({r['seconds']:.1f} s)", flush=True))
    metrics = {"dataset": "sprites", "model": model.spec, "epochs": len(history),
               "valid_elbo": evaluate.elbo(model, data.valid),
               "valid_L_100": float(evaluate.log_likelihood(model, data.valid[:500], k=100).mean()),
               "active_units": evaluate.active_units(model, data.valid)[0],
               "seconds": time.perf_counter() - start, "history": history}
    _write_json(os.path.join(out, "metrics.json"), metrics, force=True)
    for path in _pictures(model, data, out, history):
        print(f"wrote {path}")
    print(f"valid ELBO {metrics['valid_elbo']:.3f}, L_100 {metrics['valid_L_100']:.3f} nats; "
          f"{metrics['active_units']} active units; results in {out}/")
    return 0


def models(args):
    print("\n".join(MODELS))
    return 0


def train(args):
    if args.model not in MODELS:
        raise UserError(f"unknown model {args.model!r}; choose from {', '.join(MODELS)}")
    data = load_dataset(args.data, args.data_dir, seed=args.seed)
    if args.binarize:   # dynamic binarization: a fresh Bernoulli draw of each grey level
        from .data import binarize
        data.train, data.valid = binarize(data.train, args.seed), binarize(data.valid, args.seed + 1)
        data.binary = True
    kwargs = _model_kwargs(args.model, data, args)   # every check before anything is written
    check_sizes(args.model, kwargs)
    if args.resume:
        if not args.out or not os.path.exists(os.path.join(args.out, "checkpoint.npz")):
            raise UserError("--resume needs --out naming a folder with checkpoint.npz")
        out = args.out
    else:
        out = _fresh_folder(args.out, f"runs/{args.model}", args.force)
    backend.manual_seed(args.seed)
    model = create(args.model, **kwargs)
    labels = data.y_train if args.model == "cvae" else None
    history = fit(model, data.train, labels, data.valid, data.y_valid if labels is not None else None,
                  epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, out=out,
                  resume=args.resume, patience=args.patience, warmup_epochs=args.warmup,
                  schedule="staged" if args.staged else None, progress=not args.quiet,
                  log=lambda r: print(_epoch_line(r), flush=True), force=args.force)
    if not args.no_pictures:
        for path in _pictures(model, data, out, history):
            print(f"wrote {path}")
    print(f"checkpoint: {os.path.join(out, 'checkpoint.npz')}")
    return 0


def _checked(model, header, data, split):
    x, y = data.split(split)
    if x.shape[1] != model.x_dim:
        raise UserError(f"the checkpoint's {header['model']['name']} takes {model.x_dim} features; "
                        f"{data.name} has {x.shape[1]}")
    return x, y


def eval_(args):
    model, header = load_model(args.checkpoint)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                   f"eval-{args.split}-k{args.k}.json")
    _check_output(out, args.force)
    data = load_dataset(args.data, args.data_dir)
    x, y = _checked(model, header, data, args.split)
    x = x[:args.limit] if args.limit else x
    labels = y[:len(x)] if getattr(model, "n_classes", None) else None
    backend.manual_seed(args.seed)
    result = {"checkpoint": args.checkpoint, "data": data.name, "split": args.split, "n": len(x),
              "seed": args.seed, "model": header["model"]}
    if hasattr(model, "elbo_terms") or hasattr(model, "log_weights"):
        result["elbo"] = evaluate.elbo(model, x, labels)
    if hasattr(model, "log_weights"):
        result[f"L_{args.k}"] = float(evaluate.log_likelihood(model, x, k=args.k, y=labels,
                                                              progress=not args.quiet).mean())
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
    model, header = load_model(args.checkpoint)
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
    if args.only and args.only not in scripts + ["quality.py", "gpu_step.py"]:
        raise UserError(f"no benchmark {args.only!r}; choose from {', '.join(scripts + ['quality.py', 'gpu_step.py'])}")
    for script in scripts if not args.only else [args.only]:
        print(f"== bench/{script}", flush=True)
        code = subprocess.call([sys.executable, os.path.join(root, script)])
        if code:
            return code
    return 0


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line on stderr and exit status 2, like every other mistake
    (argparse prints the whole usage first); --help still shows the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser():
    p = _Parser(prog="minivae", description="Autoencoders and VAEs on a from-scratch engine.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="train a VAE on generated sprites, write pictures and metrics")
    d.add_argument("--out", help="results folder (default: a fresh minivae-demo folder)")
    d.add_argument("--epochs", type=_positive(int), default=12)
    d.add_argument("--n", type=_positive(int), default=10000, help="number of sprites")
    d.add_argument("--seed", type=_seed, default=0)
    d.set_defaults(run=demo)

    sub.add_parser("models", help="list the model names").set_defaults(run=models)

    t = sub.add_parser("train", help="train a model on a dataset")
    t.add_argument("model", help="one of: " + ", ".join(MODELS))
    t.add_argument("--data", required=True, help="a dataset name (" + ", ".join(NAMES) + ") or a file path")
    t.add_argument("--data-dir", help="where dataset files live (default: $MINIVAE_DATA, else ./data)")
    t.add_argument("--epochs", type=_positive(int), default=10)
    t.add_argument("--batch-size", type=_positive(int), default=100)
    t.add_argument("--lr", type=_positive(float), default=1e-3)
    t.add_argument("--latent-dim", type=_positive(int), default=2)
    t.add_argument("--k", type=_positive(int), default=None, help="importance samples (iwae)")
    t.add_argument("--beta", type=_positive(float), default=None, help="KL weight (vae, beta-vae)")
    t.add_argument("--warmup", type=int, default=0, help="KL warm-up epochs")
    t.add_argument("--patience", type=_positive(int), default=None, help="early stopping")
    t.add_argument("--staged", action="store_true", help="the IWAE paper's learning-rate stages")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--out", help="results folder (default: a fresh runs/MODEL folder)")
    t.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.npz")
    t.add_argument("--binarize", action="store_true", help="binarize grey levels (dynamic binarization)")
    t.add_argument("--no-pictures", action="store_true")
    t.set_defaults(run=train)

    e = sub.add_parser("eval", help="ELBO, L_k and active units of a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--data", required=True)
    e.add_argument("--data-dir")
    e.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    e.add_argument("--k", type=_positive(int), default=5000)
    e.add_argument("--limit", type=_positive(int), help="evaluate the first N examples only")
    e.add_argument("--out", help="JSON results (default: next to the checkpoint)")
    e.add_argument("--seed", type=_seed, default=0, help="seeds the importance samples: a rerun gives the same numbers")
    e.set_defaults(run=eval_)

    s = sub.add_parser("sample", help="draw samples from a checkpoint into a PNG")
    s.add_argument("checkpoint")
    s.add_argument("-n", type=_positive(int), default=64)
    s.add_argument("--out", default="samples.png", help="a PNG picture, or a .npy file of the samples")
    s.add_argument("--seed", type=_seed, default=0)
    s.set_defaults(run=sample)

    g = sub.add_parser("download", help="fetch a dataset's files, checked against published digests")
    g.add_argument("name", help="mnist")
    g.add_argument("--data-dir", help="where to put them (default: $MINIVAE_DATA, else ./data)")
    g.set_defaults(run=download_)

    b = sub.add_parser("bench", help="run the benchmark suite (from a source checkout)")
    b.add_argument("--only", help="one script of bench/, e.g. vae_step.py")
    b.set_defaults(run=bench)

    for command in (d, t, e, s):
        command.add_argument("--force", action="store_true", help="replace existing outputs")
    for command in (d, t, e):
        command.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    backend.tune_malloc()
    try:
        return args.run(args)
    except TrainingDiverged as e:
        print(f"minivae: training stopped: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as e:
        print(f"minivae: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minivae: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
