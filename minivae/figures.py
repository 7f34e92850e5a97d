"""The lectures' figures, each reproduced by one command: ``minivae figure NAME``.

Each figure trains what it needs on generated data with a small budget (seconds on 2 cores),
seeded, and writes one PNG. ``FIGURES`` maps each name to (function, what it shows).
"""
import numpy as np

from . import backend, latent, plot
from .data import load_dataset, ring
from .models import create
from .models.denoising_ae import corrupt
from .train import fit


def _quiet_fit(model, x, y=None, **kwargs):
    return fit(model, x, y, progress=False, log=lambda record: None, **kwargs)


def naive_mc_density(path, seed=0):
    """The first lecture: alpha fitted by the naive prior-sampling estimate, then that
    estimate of p(x) along the line y = 0 for N_s = 100, 1000 and 10000 prior samples."""
    backend.manual_seed(seed)
    model = create("naive-mc", x_dim=2, alpha=2.0)
    _quiet_fit(model, ring(4000, seed=seed), epochs=5, batch_size=100, lr=0.05, seed=seed)
    line = np.stack([np.linspace(-2.5, 2.5, 201), np.zeros(201)], 1).astype(np.float32)
    plt = plot._pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for n in (100, 1000, 10000):
        ax.plot(line[:, 0], model.density(line, n), label=f"N_s = {n}")
    ax.set(xlabel="x (y = 0)", ylabel="estimated p(x)",
           title=f"naive Monte Carlo, alpha fitted to {model.alpha.numpy()[0]:.3f} (data: 0.5)")
    ax.legend()
    return plot._save(fig, path)


def attribute_edit(path, seed=0):
    """Latent arithmetic on the sprites: the 'large' direction (mean code of sprites above
    the median scale minus that of the others) added to and taken from a few codes."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=4000, seed=seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=8, batch_size=100, lr=2e-3, seed=seed)
    scale = data.factors_train[:, 1]
    vector = latent.attribute_vector(model, data.train, scale > np.median(scale))
    amounts = np.linspace(-1.5, 1.5, 7)
    edits = latent.edit(model, data.valid[:6], vector, amounts)            # (amounts, inputs, 784)
    plt = plot._pyplot()
    fig, axes = plt.subplots(6, len(amounts), figsize=(len(amounts), 6.4))
    for j, a in enumerate(amounts):
        axes[0, j].set_title(f"{a:+.1f}", fontsize=8)
        for i in range(6):
            axes[i, j].imshow(edits[j, i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[i, j].axis("off")
    fig.suptitle("z + a * (mean z of large sprites - mean z of small ones)")
    return plot._save(fig, path)


def denoise_before_after(path, seed=0):
    """The denoising autoencoder on the sprites: clean inputs, their blur(x + eps)
    corruption, and what the autoencoder gives back."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("denoising-ae", x_dim=784, z_dim=32, hidden=[512], corruption="gaussian+blur",
                   level=(0.3, 1.0), image_shape=(28, 28), likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=8, batch_size=100, lr=1e-3, seed=seed)
    clean = data.valid[:8]
    noisy = np.clip(corrupt(clean, "gaussian+blur", (0.3, 1.0), (28, 28), backend.Generator(seed)), 0, 1)
    rows = [(clean, "clean"), (noisy, "blur(x + eps)"), (model.reconstruct(noisy), "denoised")]
    plt = plot._pyplot()
    fig, axes = plt.subplots(3, 8, figsize=(8, 3.4))
    for r, (images, label) in enumerate(rows):
        axes[r, 0].set_title(label, loc="left", fontsize=9)
        for ax, image in zip(axes[r], images):
            ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.axis("off")
    return plot._save(fig, path)


FIGURES = {"naive-mc-density": naive_mc_density, "attribute-edit": attribute_edit,
           "denoise-before-after": denoise_before_after}


def describe():
    """name -> the first line of what the figure shows."""
    return {name: " ".join(fn.__doc__.split()).split(". ")[0] for name, fn in FIGURES.items()}
