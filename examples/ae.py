"""A deep autoencoder: the ring squeezed through a 1-D code (MNIST: 784 -> 2).

    python examples/ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import Autoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=10000)
model = Autoencoder(x.shape[1], 1 if toy_data else 2, hidden=(64, 64) if toy_data else (256,),
                    likelihood="gaussian" if toy_data else "bernoulli")
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "ae", images=not toy_data)
