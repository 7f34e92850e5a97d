"""The ``minivae`` command line."""
import argparse
import sys
import time

import numpy as np

from . import backend
from .data import ring
from .models import VAE
from .optim import Adam


def demo(args):
    """Train a small VAE on the ring data and print the negative ELBO each epoch."""
    backend.manual_seed(args.seed)
    x = ring(args.n, seed=args.seed)
    model = VAE(x_dim=2, z_dim=2, hidden=(64, 64))
    opt = Adam(model.parameters(), lr=args.lr)
    order = np.random.default_rng(args.seed)
    print(f"VAE 2-64-64-2 on the ring x = z/2 + z/|z| ({args.n} points), Adam lr {args.lr}")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total = {}
        for idx in np.array_split(order.permutation(args.n), args.n // args.batch_size):
            loss, terms = model.loss(x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            for name, value in (("loss", loss), *terms.items()):
                total[name] = total.get(name, 0.0) + value.item() * len(idx) / args.n
        print(f"epoch {epoch:3d}  -ELBO {total['loss']:7.4f} nats  recon {total['recon']:7.4f}"
              f"  KL {total['kl']:6.4f}  ({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def main(argv=None):
    parser = argparse.ArgumentParser(prog="minivae", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train a small VAE on the ring data")
    p.add_argument("--epochs", type=_positive(int), default=30)
    p.add_argument("--n", type=_positive(int), default=8000, help="number of ring points")
    p.add_argument("--batch-size", type=_positive(int), default=50)
    p.add_argument("--lr", type=_positive(float), default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=demo)
    args = parser.parse_args(argv)
    backend.tune_malloc()
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as e:
        print(f"minivae: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
