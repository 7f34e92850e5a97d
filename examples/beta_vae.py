"""The beta-VAE: the KL weighted by beta = 4.

    python examples/beta_vae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import BetaVAE

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=20000)
model = BetaVAE(x.shape[1], 2, beta=4.0, hidden=(64, 64) if toy_data else (400,),
                likelihood="gaussian" if toy_data else "bernoulli")
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "beta_vae", images=not toy_data)
