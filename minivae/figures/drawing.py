"""What every figure shares: ``Drawn``, the quiet training run, rows of images, distances,
the digit judge."""
import functools
import os
from typing import NamedTuple

import numpy as np

from .. import plot
from ..data import load_dataset
from ..eval.digits import DigitJudge
from ..train import fit


class Drawn(NamedTuple):
    """A figure's PNG and ``facts``: the numbers behind the lecture's point, measured on the
    figure's own run (the command prints them; the tests assert the point on them)."""
    path: str
    facts: dict


def quiet_fit(model, x, y=None, **kwargs):
    """``fit`` without its per-epoch lines; its progress bar shows on a terminal (a figure
    can train for minutes)."""
    return fit(model, x, y, progress=True, log=lambda record: None, **kwargs)


def rows_of_images(rows, path, shape=(28, 28)):
    """One row of images (flat) for each (images, label) in ``rows``."""
    plt = plot._pyplot()
    fig, axes = plt.subplots(len(rows), len(rows[0][0]), figsize=(len(rows[0][0]), 1.15 * len(rows)), squeeze=False)
    for r, (images, label) in enumerate(rows):
        axes[r, 0].set_title(label, loc="left", fontsize=9)
        for ax, image in zip(axes[r], images):
            ax.imshow(np.clip(image, 0, 1).reshape(shape), cmap="gray", vmin=0, vmax=1)
            ax.axis("off")
    return plot._save(fig, path)


def grid_facts(images, labelled):
    """What a decoded quantile grid (``latent.decoded_grid``) shows: ``neighbour_ratio``,
    the mean squared distance between neighbouring images over that between any two (small:
    the decoder moves smoothly across the codes), and ``classes_shown``, how many classes
    hold at least 2% of the grid when each grid image takes the label of its nearest
    labelled image (x, y) in pixels (1-nearest-neighbour: 97% right on 500 held-out real digits)."""
    n = int(round(np.sqrt(len(images))))
    g = images.reshape(n, n, -1).astype(np.float64)
    near = (((g[1:] - g[:-1]) ** 2).sum(-1).mean() + ((g[:, 1:] - g[:, :-1]) ** 2).sum(-1).mean()) / 2
    flat = g.reshape(n * n, -1)
    every = square_distances(flat, flat).mean()
    labels = nearest_labels(flat, labelled)
    share = np.bincount(labels, minlength=int(np.max(labelled[1])) + 1) / len(flat)
    return {"neighbour_ratio": float(near / every), "classes_shown": int((share >= 0.02).sum())}


def nearest_labels(images, labelled):
    """The label of each image's nearest labelled image (x, y), in pixels."""
    x, y = labelled
    a = np.asarray(images, np.float64)
    return np.asarray(y)[np.argmin(square_distances(a, np.asarray(x, np.float64)), axis=1)]


def square_distances(a, b):
    """||a_i - b_j||^2 for every row pair: (len(a), len(b))."""
    return (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T


def knn_accuracy(z, labels, k=5):
    """Leave-one-out: the share of points whose k nearest others' majority label is theirs."""
    z = np.asarray(z, np.float64)
    d = square_distances(z, z)
    np.fill_diagonal(d, np.inf)
    votes = np.asarray(labels)[np.argsort(d, axis=1)[:, :k]]
    majority = np.array([np.bincount(v).argmax() for v in votes])
    return float((majority == labels).mean())


def mnist_sets(name, data_dir):
    """Binarized MNIST to train on, and MNIST's labelled images to judge with."""
    try:
        return load_dataset("binarized-mnist", data_dir), load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"{name} needs binarized MNIST and MNIST's labelled images: {e}") from None


def held_out_digits(labelled):
    """MNIST's last 2,000 labelled digits cut at 0.5, as binarized MNIST's, and their labels."""
    return (labelled.valid > 0.5).astype(np.float32), labelled.y_valid


@functools.lru_cache(maxsize=2)
def digit_judge(data_dir, part="train"):
    """The digit judge (eval/digits.py) trained on one split of MNIST's labelled images,
    once a process: ``part`` "train" (the first 8,000) for figures whose models learn from
    binarized MNIST, "valid" (the last 2,000) for those that learn from the first 8,000; the
    judge never sees a judged model's data. With MINIVAE_CACHE naming a folder, its weights
    are kept there and read back by the next process (training takes about 11 s)."""
    labelled = load_dataset("mnist", data_dir)
    return DigitJudge(*((labelled.train, labelled.y_train) if part == "train" else (labelled.valid, labelled.y_valid)),
                      cache=os.environ.get("MINIVAE_CACHE") or None)
