"""The image models the lectures say fix the VAE's blur, set up once for the figure
(``minivae figure image-models``) and the benchmark that measures them
(bench/image_quality.py): VAE/GAN (Larsen et al. 2016), VAE_Disl, discriminative
regularization (Lamb et al. 2016), beside the plain VAE with MLP and with convolutional
networks.

Each is trained on the same binarized MNIST images for the same budget, of wall-clock time
(the benchmark: an equal cost) or of images seen (the figure: the same picture every time),
in rounds of ``CHUNK`` images, each continuing the last round's checkpoint, the
optimizer's state included, so that a slow model's budget is checked every few minutes.
"""
import os
import tempfile
import time

import numpy as np

from . import backend, plot
from .models import create
from .train import fit

SHAPE = dict(x_dim=784, z_dim=16, likelihood="bernoulli")
# key: (label, the model's settings, its training's); the rest of training is TRAINING's
SETUPS = {
    "vae": ("VAE (MLP 400)", dict(hidden=[400], activation="relu"), {}),
    "conv-vae": ("conv VAE", dict(channels=[32, 64]), {}),
    # Larsen et al.'s players and D_l feature error, on the VAE's own MLP, with its pixel error
    # kept (w = 1) and the GAN's recipe for binarized digits (docs/quality.md, "VAE/GAN"):
    # instance noise, a smoothed real label, every player updated on every batch
    "vaegan": ("VAE/GAN (MLP 400)", dict(networks="mlp", hidden=[400], disc_hidden=[400, 256], pixel_weight=1.0,
                                         feature_sigma=1.5, gamma=0.1, instance_noise=0.5, real_target=0.9,
                                         margin=None), {}),
    # the paper's VAE_Disl (pixel_weight=0) paints stripes its frozen D_l cannot see (models/gan.py)
    "vae-disl": ("VAE_Disl + pixels (conv)", dict(networks="conv", channels=[32, 64], pixel_weight=1.0), {}),
    "dr-vae": ("DR-VAE (conv)", dict(channels=[32, 64], classifier_epochs=5), {}),
}
TRAINING = dict(optimizer="adam", lr=1e-3, batch_size=100, adam=None)
CHUNK = 10_000


def build(key, seed=0, **changes):
    """(label, model, training settings) of SETUPS[key], with ``changes`` to its settings or
    its training's."""
    label, settings, training = SETUPS[key]
    training = {**TRAINING, **training, **{k: v for k, v in changes.items() if k in TRAINING}}
    settings = {**SHAPE, **settings, **{k: v for k, v in changes.items() if k not in TRAINING}}
    backend.manual_seed(seed)
    return label, create(key, **settings), training


def train(model, x, training, seed=0, labelled=None, seconds=None, images=None, log=lambda record: None):
    """Rounds of ``fit`` on successive ``CHUNK``s of x until ``seconds`` have passed or
    ``images`` have been seen (the last round may end past the budget). A first stage that
    learns from labels (DR-VAE's classifier) learns from ``labelled`` = (images, labels).
    Returns (images seen, seconds, the last round's record)."""
    if (seconds is None) == (images is None):
        raise ValueError("train: give a budget of seconds or of images, one of them")
    start, rounds, history = time.perf_counter(), 0, []
    spent = lambda: time.perf_counter() - start if seconds is not None else rounds * min(CHUNK, len(x))
    with tempfile.TemporaryDirectory() as out:
        if model.first_stage == "labels":
            if labelled is None:
                raise ValueError(f"train: {type(model).__name__}'s first stage needs labelled images")
            setattr(model, f"{model.stage_name}_file", os.path.join(out, f"{model.stage_name}.npz"))
            model.before_fit(*labelled, lambda stage, data, epochs, labels=None: fit(
                stage, data, labels, epochs=epochs, seed=seed, progress=False, log=lambda r: None,
                **{**training, "optimizer": "adam", "lr": 1e-3, "adam": None}))
        while rounds == 0 or spent() < (seconds if seconds is not None else images):
            part = x[(rounds * CHUNK) % len(x):][:CHUNK]
            rounds += 1
            # each round's chunk is other data by design: resuming is told so (force)
            history = fit(model, part, epochs=rounds, seed=seed, out=out, resume=rounds > 1, force=rounds > 1,
                          progress=False, log=log, **training)
    return rounds * min(CHUNK, len(x)), time.perf_counter() - start, history[-1]


def picture(rows, path):
    """Each model a row: held-out inputs, their reconstructions, samples. ``rows`` holds
    (label, inputs, reconstructions, samples), images flat (n, 784)."""
    plt = plot._pyplot()
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), 3, figsize=(3 * n * 0.5 + 1.6, len(rows) * 0.62 + 0.4), squeeze=False)
    for r, (label, *images) in enumerate(rows):
        for ax, group in zip(axes[r], images):
            ax.imshow(plot.tiles(np.clip(group, 0, 1), n, (28, 28)), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    for ax, title in zip(axes[0], ("held-out inputs", "their reconstructions", "samples")):
        ax.set_title(title, fontsize=9)
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.02, top=0.88, wspace=0.03, hspace=0.05)
    return plot._save(fig, path)


def sample_sheet(sheets, path, columns=10):
    """Each model's samples as one grid, the grids side by side, for judging by eye what eight
    samples cannot show. ``sheets`` holds (label, samples), images flat (n, 784)."""
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, len(sheets), figsize=(3.2 * len(sheets), 3.5), squeeze=False)
    for ax, (label, images) in zip(axes[0], sheets):
        ax.imshow(plot.tiles(np.clip(images, 0, 1), columns, (28, 28)), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(label, fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92, wspace=0.04)
    return plot._save(fig, path)

