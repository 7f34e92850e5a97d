"""VAE/GAN: the reconstruction error measured in a discriminator's features.

    python examples/vaegan.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import VAEGAN

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=False, n=10000)
model = VAEGAN(x.shape[1], 2, hidden=(64, 64) if toy_data else (256,),
               likelihood="gaussian" if toy_data else "bernoulli")
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "vaegan", images=not toy_data)
