"""The image models of the lectures side by side after the same budget: the MLP VAE, the
convolutional VAE, VAE/GAN with convolutional networks (reconstruction error in the
discriminator's features), and the discriminatively regularized VAE (reconstructions also
matched in a classifier's layers). One figure: per model, samples, then test digits and
their reconstructions.

    python examples/image_models.py [--data mnist|toy] [--epochs N] [--out figures]

(--data toy uses the sprites, labelled by shape, for a machine without ../shared/data.)
"""
import time

import numpy as np

import minivae as mv
from common import _save, arguments, mnist
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit

args = arguments(__doc__.splitlines()[0], epochs=5)
if args.data == "toy":
    data = load_dataset("sprites", n=9000)
    x, y = data.train, data.y_train
else:
    x, y = mnist(binary=False, n=10000)
train, labels, test = x[:-1000], y[:-1000], x[-1000:]
common = dict(x_dim=784, z_dim=16, likelihood="bernoulli")
models = {"VAE (MLP 400)": create("vae", hidden=[400], activation="relu", **common),
          "conv VAE": create("conv-vae", channels=[32, 64], **common),
          "VAE/GAN (conv)": create("vaegan", networks="conv", channels=[32, 64], gamma=1.0, **common),
          "DR-VAE (conv)": create("dr-vae", channels=[32, 64], n_classes=int(y.max()) + 1, **common)}
rows = []
for name, model in models.items():
    mv.manual_seed(args.seed)
    start = time.perf_counter()
    fit(model, train, labels if model.labels else None, epochs=args.epochs, batch_size=100, lr=1e-3,
        seed=args.seed, progress=False, log=lambda r: None)
    recon = model.reconstruct(test[:8])
    print(f"{name:16s} {time.perf_counter() - start:5.1f} s  mean squared reconstruction error "
          f"{float(((model.reconstruct(test) - test) ** 2).mean()):.4f}", flush=True)
    rows.append((name, model.sample(8), recon))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    raise SystemExit("matplotlib is not installed (pip install -e '.[plot]'): no figure")
fig, axes = plt.subplots(len(rows), 24, figsize=(24, 1.3 * len(rows)))
for r, (name, samples, recon) in enumerate(rows):
    pictures = list(samples) + [img for pair in zip(test[:8], recon) for img in pair]
    for ax, img in zip(axes[r], pictures):
        ax.imshow(np.asarray(img).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.axis("off")
    axes[r, 0].set_title(f"{name}: samples | test digit, reconstruction ...", loc="left", fontsize=9)
_save(fig, args.out, "image_models.png")
