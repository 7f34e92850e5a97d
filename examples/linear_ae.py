"""The tied linear autoencoder: its code spans the data's principal subspace.

    python examples/linear_ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import LinearAutoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=10000)
model = LinearAutoencoder(x.shape[1], 1 if toy_data else 2)
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "linear_ae", images=not toy_data)
