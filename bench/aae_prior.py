"""Does ``minivae train aae`` at its defaults give codes that follow its prior, on every seed?

Each seed runs the command line itself (only --data, --seed and --out given; --epochs and
--limit where asked, to fit a budget), then measures the held-out codes (the data's valid
split) against draws of the prior with minivae.eval.prior_match (its ``match``: the energy
ratio at most 5 and the neighbour ratio at most 20). Two seeds train at once, one BLAS thread each.

Usage: python bench/aae_prior.py --data mixture --seeds 0 1 2 3 4 [--epochs N] [--limit N]
       [--data-dir ../shared/data] [--set prior=mixture] [--name aae_prior_mixture]
Writes bench/results/NAME.json.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from minivae import latent
from minivae.benchmarks.common import RESULTS, write_result
from minivae.data import load_dataset
from minivae.eval.prior_match import MATCH_ENERGY, MATCH_NEIGHBOURS, prior_match
from minivae.models.priors import sampler
from minivae.checkpoint import load_model


def one_seed(seed, args, folder):
    out = os.path.join(folder, f"seed{seed}")
    command = [sys.executable, "-m", "minivae", "train", "aae", "--data", args.data, "--seed", str(seed), "--out", out,
               "--no-pictures", "--quiet", "--threads", "1"]
    for flag in ("epochs", "limit", "data_dir"):
        if getattr(args, flag) is not None:
            command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    for assignment in args.set or []:
        command += ["--set", assignment]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    seconds = time.perf_counter() - start
    model, _ = load_model(os.path.join(out, "checkpoint.npz"))
    held_out = load_dataset(args.data, args.data_dir, seed=seed).valid[:2000]
    codes = latent.codes(model, held_out)
    facts = prior_match(codes, sampler(model.prior))
    return {"seed": seed, "seconds": round(seconds, 1), "code_mean": codes.mean(0).round(3).tolist(),
            "code_cov_eigenvalues": np.linalg.eigvalsh(np.cov(codes.T)).round(3).tolist(), **facts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="mixture")
    parser.add_argument("--data-dir")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--set", action="append")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda s: one_seed(s, args, folder), args.seeds))
    for run in runs:
        print(f"seed {run['seed']}: match {run['match']} (energy ratio {run['energy_ratio']:.2f}, neighbours "
              f"{run['neighbour_ratio']:.2f}), mean {run['code_mean']}, {run['seconds']} s", flush=True)
    name = args.name or f"aae_prior_{args.data.replace('-', '_')}"
    path = write_result(name, {"command": "minivae train aae --data " + args.data + "".join(
        f" --{k} {getattr(args, k)}" for k in ("epochs", "limit") if getattr(args, k) is not None)
        + "".join(f" --set {a}" for a in args.set or []), "match_below": {"energy_ratio": MATCH_ENERGY, "neighbour_ratio": MATCH_NEIGHBOURS},
        "matched": sum(r["match"] for r in runs), "seeds": runs}, out=RESULTS)
    print(f"{sum(r['match'] for r in runs)} of {len(runs)} seeds match; wrote {path}")


if __name__ == "__main__":
    main()
