"""One training step of IWAE (Burda et al. 2016) with k = 5 and k = 50 importance samples:
the paper's one-stochastic-layer model 784-200-200-50 (tanh, Bernoulli decoder on logits),
batch 128, loss -sum over the batch of L_k, Adam lr 1e-3, float32. minivae (fast kernels),
minivae (reference path) and PyTorch eager, in one process with one thread count,
interleaved rounds, medians.

    log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x),   z_i = mu + sigma * eps_i
    L_k     = logsumexp_i(log w_i) - log k

Usage: python -m minivae.benchmarks.iwae_step [--k 5 50] [--batch 128] [--repeats 9] [--steps 3]
Writes OUT/iwae_step.json.
"""
import argparse
import math
import os

import numpy as np

from .common import add_out, minivae_trainer, missing, time_interleaved, torch_trainer, write_result

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


def minivae_step(params, x, eps, kernels, device="cpu", graphs=False):
    B, k, d = eps.shape
    et = mv.tensor(eps, device=device)
    x_rep = mv.tensor(np.repeat(x, k, axis=0), device=device)

    def loss_of(p, xt):
        mv.set_kernels(kernels)
        h = F.dense(F.dense(xt, p["We1"], p["be1"], "tanh"), p["We2"], p["be2"], "tanh")
        s = F.dense(h, p["We3"], p["be3"])
        mu, logvar = s[:, :d].reshape(B, 1, d), s[:, d:].reshape(B, 1, d)
        z = mu + F.exp(logvar * 0.5) * et                                   # (B, k, d)
        log_q = -((et * et + logvar + LOG_2PI) * 0.5).sum(-1)                # log q(z|x)
        log_p = -((z * z + LOG_2PI) * 0.5).sum(-1)                           # log p(z)
        zf = z.reshape(B * k, d)
        h = F.dense(F.dense(zf, p["Wd1"], p["bd1"], "tanh"), p["Wd2"], p["bd2"], "tanh")
        logits = F.dense(h, p["Wd3"], p["bd3"])
        log_px = -F.bce_with_logits(logits, x_rep, "none").sum(-1).reshape(B, k)
        bound, _ = F.iwae_bound(log_px + log_p - log_q)
        return -bound.sum()
    return minivae_trainer(params, x, loss_of, device, graphs)


def torch_step(params, x, eps, device="cpu", capturable=False):
    import torch
    p = {k: torch.tensor(v, requires_grad=True, device=device) for k, v in params.items()}
    opt = torch.optim.Adam(list(p.values()), lr=1e-3, capturable=capturable)
    B, k, d = eps.shape
    xt, et = torch.tensor(x, device=device), torch.tensor(eps, device=device)
    x_rep = torch.tensor(np.repeat(x, k, axis=0), device=device)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def loss_of():
        h = torch.tanh(torch.tanh(xt @ p["We1"] + p["be1"]) @ p["We2"] + p["be2"])
        s = h @ p["We3"] + p["be3"]
        mu, logvar = s[:, :d].reshape(B, 1, d), s[:, d:].reshape(B, 1, d)
        z = mu + torch.exp(0.5 * logvar) * et
        log_q = -(0.5 * (et * et + logvar + LOG_2PI)).sum(-1)
        log_p = -(0.5 * (z * z + LOG_2PI)).sum(-1)
        h = torch.tanh(torch.tanh(z.reshape(B * k, d) @ p["Wd1"] + p["bd1"]) @ p["Wd2"] + p["bd2"])
        logits = h @ p["Wd3"] + p["bd3"]
        log_px = -bce(logits, x_rep, reduction="none").sum(-1).reshape(B, k)
        return -(torch.logsumexp(log_px + log_p - log_q, 1) - math.log(k)).sum()
    return torch_trainer(loss_of, opt, capturable)


def run(batch, k, repeats, steps):
    rng = np.random.default_rng(0)
    params = init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, k, 50)).astype(np.float32)
    impls = {"minivae": minivae_step(params, x, eps, "fast"),
             "minivae_reference": minivae_step(params, x, eps, "reference")}
    try:
        impls["pytorch"] = torch_step(params, x, eps)
    except ImportError:
        missing("torch", "iwae_step")
    first = {name: float(step().item()) for name, step in impls.items()}
    ref = first["minivae_reference"]
    for name, loss in first.items():   # the same first step everywhere
        assert abs(loss - ref) <= 1e-4 * abs(ref), (name, loss, ref)
    ms = {name: t * 1e3 for name, t in time_interleaved(impls, repeats, steps).items()}
    mv.set_kernels("fast")
    print(f"IWAE k={k:3d} batch {batch}: " + "  ".join(f"{n} {v:.2f} ms" for n, v in ms.items()))
    return {"k": k, "batch": batch, "median_ms": ms,
            "ratio_minivae_over_pytorch": ms["minivae"] / ms["pytorch"] if "pytorch" in ms else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=3)
    add_out(parser)
    args = parser.parse_args(argv)
    allocator = mv.backend.tune_malloc()
    rows = [run(args.batch, k, args.repeats, args.steps) for k in args.k]
    path = write_result("iwae_step", out=args.out, payload={"repeats": args.repeats, "steps_per_repeat": args.steps,
                                      "statistic": "median", "allocator": allocator, "results": rows})
    print(f"wrote {path}")
    if all(r["ratio_minivae_over_pytorch"] for r in rows):
        print("RATIO minivae/pytorch " + " ".join(f"k{r['k']}={r['ratio_minivae_over_pytorch']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
