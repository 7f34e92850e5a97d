"""The contractive autoencoder: a Jacobian penalty, through double backward, flattens the code.

    python examples/contractive_ae.py [--data toy|mnist] [--epochs N] [--out figures]
"""
from common import arguments, figures, fit, mnist, toy
from minivae.models import ContractiveAutoencoder

args = arguments(__doc__.splitlines()[0])
toy_data = args.data == "toy"
x, y = toy() if toy_data else mnist(binary=True, n=3000)
model = ContractiveAutoencoder(x.shape[1], 2 if toy_data else 16, lam=0.1 if toy_data else 0.01)
fit(model, x, None, epochs=args.epochs)
figures(model, x, y, args.out, "contractive_ae", images=not toy_data)
