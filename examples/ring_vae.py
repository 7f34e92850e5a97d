"""Train a VAE on the ring x = z/2 + z/|z| and show what it learned.

    python examples/ring_vae.py [--epochs 40] [--out ring_vae.png]

Prints the negative ELBO per epoch; with matplotlib (pip install minivae[plot]) it also
draws the data, the posterior means coloured by angle, and samples from the model.
"""
import argparse

import numpy as np

import minivae as mv
from minivae.data import ring
from minivae.models import VAE


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default="ring_vae.png")
    args = parser.parse_args()

    mv.manual_seed(0)
    x = ring(8000, seed=0)
    model = VAE(x_dim=2, z_dim=2, hidden=(64, 64))
    opt = mv.optim.Adam(model.parameters(), lr=3e-3)
    order = np.random.default_rng(0)
    for epoch in range(args.epochs):
        losses = []
        for idx in np.array_split(order.permutation(len(x)), len(x) // 50):
            loss, _ = model.loss(x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1:3d}  -ELBO {np.mean(losses):.4f}")

    with mv.no_grad():
        mu, _ = model.encode(mv.tensor(x))
    samples = model.sample(2000).numpy()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; skipping the figure")
        return
    angle = np.arctan2(x[:, 1], x[:, 0])
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    axes[0].scatter(*x.T, s=1, c=angle, cmap="hsv")
    axes[0].set_title("data")
    axes[1].scatter(*mu.numpy().T, s=1, c=angle, cmap="hsv")
    axes[1].set_title("posterior means E[z|x]")
    axes[2].scatter(*samples.T, s=1)
    axes[2].set_title("decoder means f(z), z ~ p(z)")
    for ax in axes:
        ax.set_aspect("equal")
    fig.savefig(args.out, dpi=100, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
