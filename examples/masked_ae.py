"""The masked autoencoder: hide half of the entries and learn to fill them in.

    python examples/masked_ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import MaskedAutoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=False, n=10000)
model = MaskedAutoencoder(x.shape[1], 4 if toy_data else 32, hidden=(64,) if toy_data else (256,))
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "masked_ae", images=not toy_data)
