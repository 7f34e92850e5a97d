"""IWAE with k = 5: the tighter importance-weighted bound L_k.

    python examples/iwae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import IWAE

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=20000)
model = (IWAE(x.shape[1], z_dims=(2,), hidden=((64, 64),), k=5, likelihood="gaussian") if toy_data
         else IWAE(784, k=5))
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "iwae", images=not toy_data)
