"""One training step of IWAE (Burda et al. 2016) with k = 5 and k = 50 importance samples:
the paper's one-stochastic-layer model 784-200-200-50 (tanh, Bernoulli decoder on logits),
batch 128, loss -sum over the batch of L_k, Adam lr 1e-3, float32. minivae (fast kernels),
minivae (reference path), PyTorch eager and JAX jit, each in a process of its own,
interleaved rounds, medians.

    log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x),   z_i = mu + sigma * eps_i
    L_k     = logsumexp_i(log w_i) - log k

The k samples of each input are stacked sample-major, as minivae's IWAE stacks them: eps of
shape (k, batch, 50), the decoder's rows (k * batch). minivae computes z and
log p(z) - log q(z|x) with its fused op (F.reparameterize_log_ratio), the peers with their
plain ops.

Usage: python -m minivae.benchmarks.iwae_step [--k 5 50] [--batch 128] [--repeats 9] [--steps 3]
Writes OUT/iwae_step.json.
"""
import argparse
import math

import numpy as np

from .common import add_out, add_threads, limited_threads, minivae_trainer, time_in_processes, torch_trainer, \
    write_result

import minivae as mv
import minivae.functional as F

SIZES = [(784, 200), (200, 200), (200, 100), (50, 200), (200, 200), (200, 784)]
NAMES = ["e1", "e2", "e3", "d1", "d2", "d3"]
LOG_2PI = math.log(2 * math.pi)


def init(seed=0):
    rng = np.random.default_rng(seed)
    p = {}
    for name, (m, n) in zip(NAMES, SIZES):
        p["W" + name] = (rng.uniform(-1, 1, (m, n)) * np.sqrt(6 / (m + n))).astype(np.float32)
        p["b" + name] = np.zeros(n, np.float32)
    return p


def minivae_step(params, x, eps, kernels, device="cpu", graphs=False, graph_gemm="own"):
    k, B, d = eps.shape
    et = mv.tensor(eps, device=device)
    x_rep = mv.tensor(np.tile(x, (k, 1)), device=device)

    def loss_of(p, xt):
        mv.set_kernels(kernels)
        mv.set_graph_gemm(graph_gemm)
        h = F.dense(F.dense(xt, p["We1"], p["be1"], "tanh"), p["We2"], p["be2"], "tanh")
        mu, logvar = F.split(F.dense(h, p["We3"], p["be3"]), 2, axis=-1)
        z, log_ratio = F.reparameterize_log_ratio(mu, logvar, et)          # (k, B, d), log p(z) - log q(z|x)
        h = F.dense(F.dense(z.reshape(k * B, d), p["Wd1"], p["bd1"], "tanh"), p["Wd2"], p["bd2"], "tanh")
        logits = F.dense(h, p["Wd3"], p["bd3"])
        log_px = -F.bce_with_logits(logits, x_rep, "rows").reshape(k, B)
        bound, _ = F.iwae_bound(F.transpose(log_px + log_ratio))
        return -bound.sum()
    return minivae_trainer(params, x, loss_of, device, graphs)


def torch_step(params, x, eps, device="cpu", capturable=False):
    import torch
    p = {k: torch.tensor(v, requires_grad=True, device=device) for k, v in params.items()}
    opt = torch.optim.Adam(list(p.values()), lr=1e-3, capturable=capturable)
    k, B, d = eps.shape
    xt, et = torch.tensor(x, device=device), torch.tensor(eps, device=device)
    x_rep = torch.tensor(np.tile(x, (k, 1)), device=device)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def loss_of():
        h = torch.tanh(torch.tanh(xt @ p["We1"] + p["be1"]) @ p["We2"] + p["be2"])
        s = h @ p["We3"] + p["be3"]
        mu, logvar = s[:, :d], s[:, d:]
        z = mu + torch.exp(0.5 * logvar) * et
        log_q = -(0.5 * (et * et + logvar + LOG_2PI)).sum(-1)
        log_p = -(0.5 * (z * z + LOG_2PI)).sum(-1)
        h = torch.tanh(torch.tanh(z.reshape(k * B, d) @ p["Wd1"] + p["bd1"]) @ p["Wd2"] + p["bd2"])
        logits = h @ p["Wd3"] + p["bd3"]
        log_px = -bce(logits, x_rep, reduction="none").sum(-1).reshape(k, B)
        return -(torch.logsumexp(log_px + log_p - log_q, 0) - math.log(k)).sum()
    return torch_trainer(loss_of, opt, capturable)


def jax_step(params, x, eps):
    import jax
    import jax.numpy as jnp
    import optax
    k, B, d = eps.shape

    def loss_fn(p, x, x_rep, eps):
        h = jnp.tanh(jnp.tanh(x @ p["We1"] + p["be1"]) @ p["We2"] + p["be2"])
        s = h @ p["We3"] + p["be3"]
        mu, logvar = s[:, :d], s[:, d:]
        z = mu + jnp.exp(0.5 * logvar) * eps
        log_q = -(0.5 * (eps * eps + logvar + LOG_2PI)).sum(-1)
        log_p = -(0.5 * (z * z + LOG_2PI)).sum(-1)
        h = jnp.tanh(jnp.tanh(z.reshape(k * B, d) @ p["Wd1"] + p["bd1"]) @ p["Wd2"] + p["bd2"])
        logits = h @ p["Wd3"] + p["bd3"]
        bce = jnp.maximum(logits, 0) - logits * x_rep + jnp.log1p(jnp.exp(-jnp.abs(logits)))
        log_w = -bce.sum(-1).reshape(k, B) + log_p - log_q
        return -(jax.scipy.special.logsumexp(log_w, axis=0) - math.log(k)).sum()

    opt = optax.adam(1e-3)
    state = {"p": {name: jnp.asarray(v) for name, v in params.items()}}
    state["o"] = opt.init(state["p"])

    @jax.jit
    def update(p, o, x, x_rep, eps):
        loss, g = jax.value_and_grad(loss_fn)(p, x, x_rep, eps)
        u, o = opt.update(g, o, p)
        return optax.apply_updates(p, u), o, loss

    xj, rj, ej = jnp.asarray(x), jnp.asarray(np.tile(x, (k, 1))), jnp.asarray(eps)

    def step():   # the loss as a device array: timing waits for the last one
        state["p"], state["o"], loss = update(state["p"], state["o"], xj, rj, ej)
        return loss
    return step


def run(batch, k, repeats, steps, threads=None):
    rng = np.random.default_rng(0)
    params = init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((k, batch, 50)).astype(np.float32)
    here = __name__ if __name__ != "__main__" else "minivae.benchmarks.iwae_step"
    builders = {"minivae": (here, "minivae_step", (params, x, eps, "fast")),
                "minivae_reference": (here, "minivae_step", (params, x, eps, "reference")),
                "pytorch": (here, "torch_step", (params, x, eps)),
                "jax": (here, "jax_step", (params, x, eps))}
    seconds, first, allocator = time_in_processes(builders, repeats, steps, threads=threads)
    ref = first["minivae_reference"]
    for name, loss in first.items():   # the same first step everywhere
        assert abs(loss - ref) <= 1e-4 * abs(ref), (name, loss, ref)
    ms = {name: t * 1e3 for name, t in seconds.items()}
    print(f"IWAE k={k:3d} batch {batch}: " + "  ".join(f"{n} {v:.2f} ms" for n, v in ms.items()))
    return {"k": k, "batch": batch, "median_ms": ms, "allocator": allocator,
            "ratio_minivae_over_pytorch": ms["minivae"] / ms["pytorch"] if "pytorch" in ms else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=3)
    add_out(parser)
    add_threads(parser)
    args = parser.parse_args(argv)
    with limited_threads(args.threads):
        rows = [run(args.batch, k, args.repeats, args.steps, args.threads) for k in args.k]
    path = write_result("iwae_step", out=args.out, payload={"repeats": args.repeats, "steps_per_repeat": args.steps,
                                      "statistic": "median", "threads": args.threads or "default",
                                      "processes": "each implementation in its own process",
                                      "results": rows})
    print(f"wrote {path}")
    if all(r["ratio_minivae_over_pytorch"] for r in rows):
        print("RATIO minivae/pytorch " + " ".join(f"k{r['k']}={r['ratio_minivae_over_pytorch']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
