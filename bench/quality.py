"""The quality report: the IWAE paper's one-stochastic-layer model (784-200-200-50, tanh,
Bernoulli) trained as a VAE (k = 1) and as IWAE (k = 5, 50) on fixed-binarized MNIST from
../shared/data, then validation L_5000 and active units. The same model, initialization
and staged schedule in PyTorch run beside it when torch is installed.

The paper (Burda et al. 2016, Appendix D) trained 3280 epochs (8 stages of 3^i epochs):
VAE 88.71 nats, IWAE k = 50 87.10 (test set; 85.32 with two stochastic layers). The budget
here is --epochs, so the numbers say how far a short run gets, not the paper's.

Usage: python bench/quality.py [--epochs 3] [--k 1 5 50] [--eval-k 5000] [--eval-n 1000]
Writes bench/results/quality.json.
"""
import argparse
import math
import os
import sys
import time

import numpy as np

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

import minivae as mv  # noqa: E402
from minivae import eval as evaluate  # noqa: E402
from minivae.data import load_dataset  # noqa: E402
from minivae.models import IWAE  # noqa: E402
from minivae.train import fit  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def run_minivae(train, valid, k, epochs, eval_k, eval_n, seed):
    mv.manual_seed(seed)
    model = IWAE(784, k=k)
    model.p[0][-1].bias.data = _logit_mean(train)     # the paper's output bias: the data's logit mean
    start = time.perf_counter()
    fit(model, train, epochs=epochs, batch_size=20, lr=1e-3, seed=seed, schedule="staged", progress=False,
        adam={"betas": (0.9, 0.999), "eps": 1e-4},   # the paper's Adam settings, as for torch below
        log=lambda r: print(f"  minivae k={k} epoch {r['epoch']} loss {r['train_model']:.2f}", flush=True))
    seconds = time.perf_counter() - start
    lk = evaluate.log_likelihood(model, valid[:eval_n], k=eval_k, chunk=500, batch=20)
    units = evaluate.active_units(model, valid)[0]
    return {"L_eval": float(lk.mean()), "active_units": units, "train_seconds": seconds, "params": model.state_dict()}


def _logit_mean(x):
    p = np.clip(x.mean(0), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p)).astype(np.float32)


def run_torch(train, valid, k, epochs, eval_k, eval_n, seed, init):
    import torch
    torch.manual_seed(seed)
    P = {name: torch.tensor(v, requires_grad=True) for name, v in init.items()}
    opt = torch.optim.Adam(P.values(), lr=1e-3, betas=(0.9, 0.999), eps=1e-4)

    def mlp(h, prefix, n):
        for i in range(n):
            h = h @ P[f"{prefix}.{i}.weight"] + P[f"{prefix}.{i}.bias"]
            if i < n - 1:
                h = torch.tanh(h)
        return h

    def log_weights(x, kk):
        mu, logvar = mlp(x, "q.0", 3).chunk(2, -1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn((kk,) + mu.shape)
        logits = mlp(z, "p.0", 3)
        log_px = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x.expand_as(logits),
                                                                        reduction="none").sum(-1)
        log_pz = -0.5 * (z * z + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (((z - mu) ** 2) * torch.exp(-logvar) + logvar + math.log(2 * math.pi)).sum(-1)
        return log_px + log_pz - log_qz                             # (k, n)

    xt = torch.from_numpy(train)
    start = time.perf_counter()
    for epoch in range(epochs):
        for g in opt.param_groups:
            g["lr"] = mv.optim.staged_lr(epoch, 1e-3)
        order = torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(len(train)))
        for i in range(0, len(train), 20):
            lw = log_weights(xt[order[i:i + 20]], k)
            loss = -(torch.logsumexp(lw, 0) - math.log(k)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"  torch   k={k} epoch {epoch + 1} loss {loss.item():.2f}", flush=True)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        vals = []
        for i in range(0, eval_n, 20):
            xb = torch.from_numpy(valid[i:min(i + 20, eval_n)])
            chunks = torch.cat([log_weights(xb, 500) for _ in range(eval_k // 500)], 0)
            vals.append(torch.logsumexp(chunks, 0) - math.log(chunks.shape[0]))
        mu = mlp(torch.from_numpy(valid), "q.0", 3).chunk(2, -1)[0]
    return {"L_eval": float(torch.cat(vals).mean()), "active_units": int((mu.var(0) > 1e-2).sum()),
            "train_seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--k", type=int, nargs="+", default=[1, 5, 50])
    parser.add_argument("--eval-k", type=int, default=5000)
    parser.add_argument("--eval-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    mv.backend.tune_malloc()
    data = load_dataset("binarized-mnist", SHARED)
    rows = []
    for k in args.k:
        print(f"k = {k}", flush=True)
        ours = run_minivae(data.train, data.valid, k, args.epochs, args.eval_k, args.eval_n, args.seed)
        mv.manual_seed(args.seed)
        fresh = IWAE(784, k=k)
        fresh.p[0][-1].bias.data = _logit_mean(data.train)
        init = {name: v for name, v in fresh.state_dict().items()}
        row = {"k": k, "minivae": {key: v for key, v in ours.items() if key != "params"}}
        if not args.no_torch:
            try:
                row["pytorch"] = run_torch(data.train, data.valid, k, args.epochs, args.eval_k, args.eval_n,
                                           args.seed, init)
            except ImportError:
                pass
        print(f"k = {k}: minivae L_{args.eval_k} {row['minivae']['L_eval']:.2f}, active units "
              f"{row['minivae']['active_units']}" + (f"; pytorch L_{args.eval_k} {row['pytorch']['L_eval']:.2f}, "
              f"active units {row['pytorch']['active_units']}" if "pytorch" in row else ""), flush=True)
        rows.append(row)
    print(f"wrote {write_result('quality', {'epochs': args.epochs, 'eval_k': args.eval_k, 'eval_n': args.eval_n, 'split': 'valid', 'paper_test_nats': {'vae': 88.71, 'iwae_k50': 87.10}, 'results': rows}, out=RESULTS)}")


if __name__ == "__main__":
    main()
