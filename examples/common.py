"""What the example scripts share: data (toy, or the real data in ../shared/data when it is
there), a training loop over a model's players, and the figures. Figures need matplotlib
(pip install -e ".[plot]")."""
import argparse
import os

import numpy as np

import minivae as mv
from minivae import train
from minivae.data import ring

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def arguments(description, epochs=20, extra=()):
    """The examples' flags, and ``extra`` ones given as (flag, argparse keywords)."""
    parser = argparse.ArgumentParser(description=description)
    for flag, kwargs in extra:
        parser.add_argument(flag, **kwargs)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--data", choices=["toy", "mnist"], default="toy",
                        help="toy data, or MNIST from ../shared/data (when present)")
    parser.add_argument("--out", default="figures", help="folder for the PNG figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mv.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    return args


def toy(n=8000, seed=0):
    """The lecture's ring, with the angle as a label (in 4 quadrants)."""
    x = ring(n, seed=seed)
    return x, (np.arctan2(x[:, 1], x[:, 0]) // (np.pi / 2)).astype(np.int64) % 4


def mnist(binary=True, n=None):
    """Fixed-binarized MNIST (unlabeled) or the labeled grayscale test set scaled to [0, 1]."""
    if binary:
        path = os.path.join(SHARED, "binarized_mnist.npz")
        if not os.path.exists(path):
            raise SystemExit(f"no {path}: use --data toy")
        with np.load(path) as f:
            return f["train"][:n].astype(np.float32), None
    path = os.path.join(SHARED, "mnist_test_gray.npz")
    if not os.path.exists(path):
        raise SystemExit(f"no {path}: use --data toy")
    with np.load(path) as f:
        return (f["images"][:n].reshape(-1, 784) / 255.0).astype(np.float32), f["labels"][:n].astype(np.int64)


def fit(model, x, y=None, epochs=20, batch=100, lr=1e-3):
    """The library's trainer (minivae.train.fit, what `minivae train` and the estimators run):
    Adam per player, a stage the model trains first before it; prints each player's mean
    loss per epoch."""
    train.fit(model, x, y, epochs=epochs, batch_size=batch, lr=lr, progress=False,
                 log=lambda r: print(f"epoch {r['epoch']:3d}  " + "  ".join(
                     f"{k[len('train_'):]} {v:8.4f}" for k, v in r.items() if k.startswith("train_"))
                     + f"  ({r['seconds']:.1f} s)", flush=True))
    return model


def figures(model, x, y, out, name, images=False):
    """Latent scatter (coloured by label), samples, and reconstructions, as PNG files."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[plot]'): no figures")
        return
    n = min(len(x), 2000)
    with mv.no_grad():
        codes = model.code(mv.tensor(x[:n]), None if y is None or not hasattr(model, "n_classes") else y[:n]).numpy()
    fig, ax = plt.subplots(figsize=(5, 5))
    colour = {} if y is None else {"c": y[:n], "cmap": "tab10"}
    ax.scatter(codes[:, 0], codes[:, 1] if codes.shape[1] > 1 else np.zeros(n), s=2, **colour)
    ax.set_title(f"{name}: codes of {n} inputs")
    _save(fig, out, f"{name}-latent.png")
    sample_y = np.arange(64) % model.n_classes if hasattr(model, "n_classes") and model.n_classes else None
    samples = model.sample(64, sample_y)
    recon = model.reconstruct(x[:32], None if sample_y is None or y is None else y[:32])
    if images:
        _save(_grid(plt, samples, f"{name}: samples"), out, f"{name}-samples.png")
        _save(_grid(plt, np.concatenate([x[:32], recon]), f"{name}: inputs (top) and reconstructions"),
              out, f"{name}-reconstructions.png")
    else:
        fig, axes = plt.subplots(1, 2, figsize=(10, 5))
        axes[0].scatter(*x[:n].T, s=2, alpha=0.4, label="data")
        axes[0].scatter(*model.sample(n, None if sample_y is None else np.arange(n) % model.n_classes).T,
                        s=2, alpha=0.4, label="samples")
        axes[0].legend()
        axes[1].scatter(*x[:n].T, s=2, alpha=0.4, label="data")
        axes[1].scatter(*model.reconstruct(x[:n], None if sample_y is None or y is None else y[:n]).T,
                        s=2, alpha=0.4, label="reconstructions")
        axes[1].legend()
        for a in axes:
            a.set_aspect("equal")
        fig.suptitle(name)
        _save(fig, out, f"{name}-data.png")


def _grid(plt, images, title):
    k = int(np.ceil(np.sqrt(len(images))))
    fig, axes = plt.subplots(k, k, figsize=(k, k))
    for ax, img in zip(axes.ravel(), list(images) + [None] * (k * k - len(images))):
        ax.axis("off")
        if img is not None:
            ax.imshow(np.asarray(img).reshape(28, 28), cmap="gray")
    fig.suptitle(title)
    return fig


def _save(fig, out, filename):
    path = os.path.join(out, filename)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"wrote {path}")
