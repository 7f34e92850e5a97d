"""The headline: one training step of the VAE 784-400-20-400-784 (ReLU, Bernoulli decoder on
logits, sum-reduced negative ELBO, Adam lr 1e-3, float32) in each implementation, each in a
process of its own (one library's threads cannot slow another's steps), interleaved so that
machine noise falls on all alike.

Implementations: minivae with its fast kernels, minivae on the reference path, PyTorch eager
(CPU), JAX jit (when installed), and a hand-written NumPy step. Also two floors, timed in the
same rounds: the GEMM floor, the step's GEMM FLOPs at a 2048 x 2048 sgemm's rate; and the
products alone, the step's eleven matrix products at their own shapes back to back through
NumPy's BLAS, which any step calling that BLAS pays before anything else.

Usage: python -m minivae.benchmarks.vae_step [--batch 128 1024] [--repeats 9] [--steps 5]
Writes OUT/vae_step.json; the last line printed is
RATIO minivae/pytorch batch128=<x> batch1024=<y>
"""
import argparse

import numpy as np

from . import numpy_vae
from .common import add_out, add_threads, limited_threads, minivae_trainer, time_in_processes, \
    torch_trainer, write_result

import minivae as mv
import minivae.functional as F


def minivae_step(params, x, eps, kernels, device="cpu", graphs=False, tf32=False, graph_gemm="own"):
    et = mv.tensor(eps, device=device)

    def loss_of(p, xt):
        mv.set_kernels(kernels)
        mv.set_tf32(tf32)
        mv.set_graph_gemm(graph_gemm)
        h1 = F.dense(xt, p["W1"], p["b1"], "relu")
        mu, logvar = F.split(F.dense(h1, p["W2"], p["b2"]), 2, axis=-1)   # as the VAE model splits them
        z, kl = F.reparameterize_kl(mu, logvar, et)
        logits = F.dense(F.dense(z, p["W3"], p["b3"], "relu"), p["W4"], p["b4"])
        return F.bce_with_logits(logits, xt, reduction="sum") + kl.sum()
    return minivae_trainer(params, x, loss_of, device, graphs)


def numpy_step(params, x, eps):
    p = {k: v.copy() for k, v in params.items()}
    opt = numpy_vae.Adam(p)

    def step():
        loss, grads = numpy_vae.loss_and_grads(p, x, eps)
        opt.step(grads)
        return float(loss)
    return step


def torch_step(params, x, eps, device="cpu", capturable=False):
    import torch
    p = {k: torch.tensor(v, requires_grad=True, device=device) for k, v in params.items()}
    opt = torch.optim.Adam(list(p.values()), lr=1e-3, capturable=capturable)
    xt, et = torch.tensor(x, device=device), torch.tensor(eps, device=device)
    zdim = eps.shape[1]
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def loss_of():
        h1 = torch.relu(xt @ p["W1"] + p["b1"])
        s = h1 @ p["W2"] + p["b2"]
        mu, logvar = s[:, :zdim], s[:, zdim:]
        z = mu + torch.exp(0.5 * logvar) * et
        logits = torch.relu(z @ p["W3"] + p["b3"]) @ p["W4"] + p["b4"]
        return bce(logits, xt, reduction="sum") + 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum()
    return torch_trainer(loss_of, opt, capturable)


def jax_step(params, x, eps):
    import jax
    import jax.numpy as jnp
    import optax
    zdim = eps.shape[1]

    def loss_fn(p, x, eps):
        h1 = jax.nn.relu(x @ p["W1"] + p["b1"])
        s = h1 @ p["W2"] + p["b2"]
        mu, logvar = s[:, :zdim], s[:, zdim:]
        z = mu + jnp.exp(0.5 * logvar) * eps
        logits = jax.nn.relu(z @ p["W3"] + p["b3"]) @ p["W4"] + p["b4"]
        bce = jnp.maximum(logits, 0) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits)))
        return bce.sum() + 0.5 * (jnp.exp(logvar) + mu * mu - 1 - logvar).sum()

    opt = optax.adam(1e-3)
    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}
    state["o"] = opt.init(state["p"])

    @jax.jit
    def update(p, o, x, eps):
        loss, g = jax.value_and_grad(loss_fn)(p, x, eps)
        u, o = opt.update(g, o, p)
        return optax.apply_updates(p, u), o, loss

    xj, ej = jnp.asarray(x), jnp.asarray(eps)

    def step():   # the loss as a device array: timing waits for the last one (common.time_in_processes)
        state["p"], state["o"], loss = update(state["p"], state["o"], xj, ej)
        return loss
    return step


def square_sgemm_step(n=2048):
    """A large square float32 product: its rate makes the GEMM floor."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    return lambda: float((a @ a)[0, 0] * 0)


def products_step(batch):
    """The step's eleven matrix products alone, through NumPy's BLAS."""
    calls = numpy_vae.products(batch)
    return lambda: float(sum(f()[0, 0] for f in calls) * 0)


def run(batch, repeats, steps, only=None, threads=None):
    rng = np.random.default_rng(0)
    params = numpy_vae.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, 20)).astype(np.float32)
    here = __name__ if __name__ != "__main__" else "minivae.benchmarks.vae_step"
    builders = {"minivae": (here, "minivae_step", (params, x, eps, "fast")),
                "minivae_reference": (here, "minivae_step", (params, x, eps, "reference")),
                "numpy": (here, "numpy_step", (params, x, eps)),
                "pytorch": (here, "torch_step", (params, x, eps)),
                "jax": (here, "jax_step", (params, x, eps))}
    if only:
        builders = {k: v for k, v in builders.items() if k in only}
    floors = {"square_sgemm": (here, "square_sgemm_step", ()), "products": (here, "products_step", (batch,))}
    seconds, first, allocator = time_in_processes({**builders, **floors}, repeats, steps, threads=threads)
    first = {name: loss for name, loss in first.items() if name in builders}
    ref = first.get("numpy", first[next(iter(first))])
    for name, loss in first.items():   # the same first step everywhere: same model, same math
        assert abs(loss - ref) <= 1e-4 * abs(ref), (name, loss, ref)
    floor_ms = numpy_vae.gemm_flops(batch) / (2 * 2048 ** 3) * seconds.pop("square_sgemm") * 1e3
    products_ms = seconds.pop("products") * 1e3
    ms = {name: t * 1e3 for name, t in seconds.items()}
    print(f"batch {batch}: " + "  ".join(f"{k} {v:.2f} ms" for k, v in ms.items())
          + f"  GEMM floor {floor_ms:.2f} ms  products alone {products_ms:.2f} ms")
    return {"batch": batch, "median_ms": ms, "gemm_floor_ms": floor_ms, "products_alone_ms": products_ms,
            "ratio_products_alone_to_gemm_floor": products_ms / floor_ms,
            "ratio_to_products_alone": ms["minivae"] / products_ms if "minivae" in ms else None,
            "allocator": allocator,
            "ratios_to_pytorch": {k: v / ms["pytorch"] for k, v in ms.items()}
            if {"pytorch", "minivae"} <= set(ms) else None,
            "ratio_to_gemm_floor": ms["minivae"] / floor_ms if "minivae" in ms else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--impls", nargs="+", help="run only these (default: all available)")
    add_out(parser)
    add_threads(parser)
    args = parser.parse_args(argv)
    with limited_threads(args.threads):   # the GEMM floor's sgemm, here; the steps in their own processes
        rows = [run(b, args.repeats, args.steps, args.impls, args.threads) for b in args.batch]
    write_result("vae_step", out=args.out, payload={"repeats": args.repeats, "steps_per_repeat": args.steps,
                              "statistic": "median", "threads": args.threads or "default",
                              "processes": "each implementation in its own process", "kernels": mv.kernel_info(),
                              "results": rows})
    if all(r["ratios_to_pytorch"] for r in rows):
        print("RATIO minivae/pytorch " + " ".join(
            f"batch{r['batch']}={r['ratios_to_pytorch']['minivae']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
