"""Figures of the VAE family: latent arithmetic, a mixture prior, and IWAE's
sampling-importance-resampling."""

import numpy as np

from .. import backend, latent, plot
from ..data import load_dataset
from ..models import create
from .drawing import Drawn, quiet_fit, rows_of_images


def attribute_edit(path, seed=0):
    """Latent arithmetic on the sprites: the 'large' direction (mean code of sprites above
    the median scale minus that of the others) added to and taken from a few codes."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=4000, seed=seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli")
    quiet_fit(model, data.train, epochs=8, batch_size=100, lr=2e-3, seed=seed)
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
    return Drawn(plot._save(fig, path), {})


def vae_mixture_prior(path, seed=0):
    """A VAE with a learned 8-component Gaussian-mixture prior on the mixture toy data: the
    codes of the data over the prior's components (means and one-sigma circles)."""
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    model = create("vae", x_dim=2, z_dim=2, hidden=[64, 64], prior="mixture", prior_components=8, learn_prior=True)
    quiet_fit(model, data.train, epochs=20, batch_size=100, lr=2e-3, seed=seed)
    codes = latent.codes(model, data.valid)
    means, logvars = model.prior.means.numpy(), model.prior.logvars.numpy()
    plt = plot._pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(codes[:, 0], codes[:, 1], c=data.y_valid, s=3, cmap="tab10")
    angle = np.linspace(0, 2 * np.pi, 60)
    for m, v in zip(means, np.exp(0.5 * logvars)):
        ax.plot(m[0] + v[0] * np.cos(angle), m[1] + v[1] * np.sin(angle), "k-", lw=0.8)
    ax.set(aspect="equal", title="codes and the learned mixture prior")
    return Drawn(plot._save(fig, path), {})


def iwae_sir(path, seed=0):
    """Burda et al.'s Fig. 3 on the sprites: reconstructions from single draws of q(z|x)
    against sampling-importance-resampling among k = 50 draws (q_IW), for an IWAE."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("iwae", x_dim=784, z_dims=[8], hidden=[[256]], k=5)
    quiet_fit(model, data.train, epochs=6, batch_size=100, lr=1e-3, seed=seed)
    x = data.valid[:500]
    drawn, resampled = latent.posterior_samples(model, x, 1)[:, 0], model.sir_reconstruct(x, 50)
    facts = {"draw_bce": _bce(drawn, x), "sir_bce": _bce(resampled, x)}   # per image, 500 held-out sprites
    rows = [(x[:8], "input"),
            (drawn[:8], f"a draw from q(z|x): BCE {facts['draw_bce']:.1f} a sprite (500 held out)"),
            (latent.posterior_samples(model, x[:8], 1)[:, 0], "another draw"),
            (resampled[:8], f"SIR among 50 draws: BCE {facts['sir_bce']:.1f}"),
            (model.sir_reconstruct(x[:8], 50), "another resampling")]
    return Drawn(rows_of_images(rows, path), facts)


def _bce(p, x):
    """The reconstruction error -log p(x|z) of binary images x under means p, per image."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(1).mean())
