"""The conditional VAE: labels into encoder and decoder, and samples of a chosen class.

    python examples/cvae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import ConditionalVAE

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=False, n=10000)
model = ConditionalVAE(x.shape[1], 4 if toy_data else 10, z_dim=2, hidden=(64, 64) if toy_data else (400,),
                       likelihood="gaussian" if toy_data else "bernoulli")
fit(model, x, y, epochs=args.epochs)
figures(model, x, y, args.out, "cvae", images=not toy_data)
