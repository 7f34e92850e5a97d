"""A convolutional autoencoder on MNIST, trained to denoise: each batch is corrupted with
salt-and-pepper noise, and the network learns to give back the clean digits. The figure
shows, per column, a clean test digit, its corrupted copy, and the reconstruction.

    python examples/conv_ae.py [--data mnist|toy] [--epochs N] [--out figures]

(--data toy uses the sprites: 28 x 28 shapes, for a machine without ../shared/data.)
"""
import time

import numpy as np

import minivae as mv
from common import _save, arguments, mnist
from minivae.data import load_dataset
from minivae.models import ConvAutoencoder
from minivae.models.denoising_ae import corrupt

args = arguments(__doc__.splitlines()[0], epochs=8)
x = load_dataset("sprites", n=6000).train if args.data == "toy" else mnist(binary=False, n=10000)[0]
train, test = x[:-500], x[-500:]
model = ConvAutoencoder(784, z_dim=64, channels=(32, 64))
opt = mv.optim.Adam(model.parameters(), lr=2e-3)
rng = np.random.default_rng(args.seed)
noise = mv.backend.Generator(args.seed)

for epoch in range(1, args.epochs + 1):
    start, total, batches = time.perf_counter(), 0.0, np.array_split(rng.permutation(len(train)), len(train) // 100)
    for idx in batches:
        clean = train[idx]
        noisy = corrupt(clean, "salt_pepper", 0.2, generator=noise)
        loss = model.reconstruction_error(mv.tensor(clean), model.encode(mv.tensor(noisy))).mean()   # -log p(x | x~)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() / len(batches)
    print(f"epoch {epoch}  reconstruction error {total:.2f} nats  ({time.perf_counter() - start:.1f} s)", flush=True)

noisy = corrupt(test[:12], "salt_pepper", 0.2, generator=noise)
denoised = model.reconstruct(noisy)
mse = lambda a: float(((a - test[:12]) ** 2).mean())
print(f"mean squared error to the clean digits: corrupted {mse(noisy):.4f}, denoised {mse(denoised):.4f}")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 12, figsize=(12, 3.4))
    for row, (images, label) in enumerate([(test[:12], "clean"), (noisy, "corrupted"), (denoised, "denoised")]):
        axes[row, 0].set_title(label, loc="left", fontsize=9)
        for ax, image in zip(axes[row], images):
            ax.imshow(image.reshape(28, 28), cmap="gray")
            ax.axis("off")
    _save(fig, args.out, "conv_ae-denoising.png")
except ImportError:
    print("matplotlib is not installed (pip install -e '.[plot]'): no figure")
