"""The engine's cost over raw NumPy.

1. Per-op overhead on small arrays: one op through minivae (graph recorded, forward only;
   and forward + backward) against the same NumPy call.
2. A VAE forward + backward (784-400-20-400-784, ReLU, Bernoulli decoder on logits,
   sum-reduced negative ELBO, float32) through minivae against the hand-written NumPy
   step in numpy_vae.py; both compute the same gradients, checked before timing.

Usage: python -m minivae.benchmarks.engine_overhead [--repeats 15] [--batch 128 1024]
Writes OUT/engine_overhead.json.
"""
import argparse

import numpy as np

from .common import add_out, add_threads, limited_threads, median_time, write_result
from . import numpy_vae

import minivae as mv
import minivae.functional as F


def op_overheads(repeats):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 4)).astype(np.float32), rng.standard_normal((4, 4)).astype(np.float32)
    x, y = mv.tensor(a, requires_grad=True), mv.tensor(b, requires_grad=True)
    cases = {
        "add": (lambda: a + b, lambda: x + y),
        "mul": (lambda: a * b, lambda: x * y),
        "matmul": (lambda: a @ b, lambda: x @ y),
        "exp": (lambda: np.exp(a), lambda: F.exp(x)),
        "relu": (lambda: np.maximum(a, 0), lambda: F.relu(x)),
        "sum": (lambda: a.sum(), lambda: x.sum()),
        "logsumexp": (lambda: np.log(np.exp(a - a.max(1, keepdims=True)).sum(1)) + a.max(1),
                      lambda: F.logsumexp(x, 1)),
    }
    rows = {}
    for name, (ref, op) in cases.items():
        numpy_s = median_time(ref, repeats, number=2000)
        forward_s = median_time(op, repeats, number=2000)

        def fwd_bwd():
            op().sum().backward()
        both_s = median_time(fwd_bwd, repeats, number=500)
        rows[name] = {"numpy_us": numpy_s * 1e6, "minivae_forward_us": forward_s * 1e6,
                      "minivae_forward_backward_us": both_s * 1e6,
                      "forward_overhead_us": (forward_s - numpy_s) * 1e6}
        print(f"{name:10s} numpy {numpy_s * 1e6:6.2f} us   minivae forward {forward_s * 1e6:6.2f} us"
              f"   forward+backward {both_s * 1e6:7.2f} us")
    return rows


class MinivaeVAE:
    """The same network as numpy_vae, built from minivae ops."""

    def __init__(self, params):
        self.p = {k: mv.nn.Parameter(v.copy()) for k, v in params.items()}

    def loss(self, x, eps):
        p, zdim = self.p, eps.shape[1]
        h1 = F.relu(x @ p["W1"] + p["b1"])
        s = h1 @ p["W2"] + p["b2"]
        mu, logvar = s[:, :zdim], s[:, zdim:]
        z = mu + F.exp(logvar * 0.5) * eps
        logits = F.relu(z @ p["W3"] + p["b3"]) @ p["W4"] + p["b4"]
        return F.bce_with_logits(logits, x, reduction="sum") + F.kl_normal(mu, logvar).sum()

    def step(self, x, eps):
        for q in self.p.values():
            q.grad = None
        loss = self.loss(x, eps)
        loss.backward()
        return loss


def vae_step(batch, repeats):
    rng = np.random.default_rng(1)
    params = numpy_vae.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, 20)).astype(np.float32)
    model, xt, et = MinivaeVAE(params), mv.tensor(x), mv.tensor(eps)

    loss_np, grads_np = numpy_vae.loss_and_grads(params, x, eps)
    loss_mv = model.step(xt, et)
    np.testing.assert_allclose(loss_mv.item(), loss_np, rtol=1e-4)
    for k, g in grads_np.items():
        np.testing.assert_allclose(model.p[k].grad.numpy(), g, rtol=2e-3, atol=2e-3 * np.abs(g).max())

    numpy_s = median_time(lambda: numpy_vae.loss_and_grads(params, x, eps), repeats)
    minivae_s = median_time(lambda: model.step(xt, et), repeats)
    print(f"VAE forward+backward batch {batch:5d}: numpy {numpy_s * 1e3:7.2f} ms   "
          f"minivae {minivae_s * 1e3:7.2f} ms   ratio {minivae_s / numpy_s:.2f}")
    return {"batch": batch, "numpy_ms": numpy_s * 1e3, "minivae_ms": minivae_s * 1e3,
            "ratio_minivae_over_numpy": minivae_s / numpy_s}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1024])
    add_out(parser)
    add_threads(parser)
    args = parser.parse_args(argv)
    with limited_threads(args.threads):
        _measure(args)


def _measure(args):
    ops = op_overheads(args.repeats)
    steps = [vae_step(b, args.repeats) for b in args.batch]
    path = write_result("engine_overhead", out=args.out, payload={"repeats": args.repeats, "statistic": "median",
                                            "ops_4x4_float32": ops, "vae_784_400_20": steps})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
