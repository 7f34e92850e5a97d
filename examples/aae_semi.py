"""The semi-supervised, label-informed adversarial autoencoder: only a fraction of the
labels is given (the rest are -1, unknown); the discriminator sees each code with its
label's one-hot (or the extra "unknown" class), and a labelled code is pushed to its class's
component of a 10-Gaussian mixture prior. The figure shows the codes coloured by the true
class, labelled or not.

    python examples/aae_semi.py [--data toy|mnist] [--fraction 0.1] [--epochs N] [--out figures]
"""
import numpy as np

from common import _save, arguments, mnist
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit

args = arguments(__doc__.splitlines()[0], epochs=60,
                 extra=[("--fraction", {"type": float, "default": 0.1, "help": "the fraction of labels given"})])
fraction = args.fraction
if args.data == "toy":
    data = load_dataset("mixture", n=4000, seed=args.seed)
    x, y, hidden = data.train, data.y_train, [64, 64]
else:
    x, y = mnist(binary=False, n=10000)
    hidden = [512, 256]
given = np.where(np.random.default_rng(args.seed).random(len(y)) < fraction, y, -1)
model = create("aae", x_dim=x.shape[1], z_dim=2, hidden=hidden, prior="mixture", n_classes=int(y.max()) + 1,
               likelihood="gaussian" if args.data == "toy" else "bernoulli")
fit(model, x, given, epochs=args.epochs, batch_size=100, lr=1e-3, seed=args.seed)
codes = model.code(model.as_input(x[:3000])).numpy()
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    raise SystemExit("matplotlib is not installed (pip install -e '.[plot]'): no figure")
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(codes[:, 0], codes[:, 1], c=y[:3000], s=2, cmap="tab10")
ax.set(aspect="equal", title=f"codes by true class; {fraction:.0%} of the labels given")
_save(fig, args.out, "aae_semi.png")
