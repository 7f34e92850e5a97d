"""The VAE: Gaussian encoder, reparameterization, closed-form KL, the ELBO.

    python examples/vae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import VAE

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=20000)
model = VAE(x.shape[1], 2, hidden=(64, 64) if toy_data else (400,), activation="tanh" if toy_data else "relu",
            likelihood="gaussian" if toy_data else "bernoulli")
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "vae", images=not toy_data)
