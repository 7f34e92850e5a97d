"""The denoising autoencoder: reconstruct clean inputs from corrupted ones.

    python examples/denoising_ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import DenoisingAutoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=False, n=10000)
model = DenoisingAutoencoder(x.shape[1], 2 if toy_data else 32, hidden=(64,) if toy_data else (256,),
                             corruption="gaussian" if toy_data else "salt_pepper", level=0.2)
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "denoising_ae", images=not toy_data)
