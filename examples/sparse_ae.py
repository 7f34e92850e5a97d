"""The sparse autoencoder: an L1 penalty leaves few code units active.

    python examples/sparse_ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import SparseAutoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=10000)
model = SparseAutoencoder(x.shape[1], 8 if toy_data else 64, hidden=(64,) if toy_data else (256,), lam=0.05)
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "sparse_ae", images=not toy_data)
