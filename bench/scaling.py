"""Data-parallel scaling under MPI: steps per second of the trainer with 1 and N ranks at one
global batch, the efficiency (speed-up / N), and the shares of the time spent summing the
gradients (the Allreduce with the flat buffer around it) and waiting for the slowest rank
before it (timed with a barrier the bench adds).

The model: the VAE 784-400-20 (ReLU, Bernoulli decoder) on binarized MNIST from
../shared/data (random binary images of that size when it is absent), Adam, global batch
1024 by default, each rank with one BLAS thread (the fair comparison on one machine: N
ranks use N cores, and so does the one-rank run's thread count, reported beside it).
Each rank size runs ``--epochs`` epochs of ``--n`` examples; the median epoch gives the
steps per second.

    python bench/scaling.py [--ranks 1,2] [--batch 1024] [--epochs 5] [--n 16384]

On a cluster, with mpi4py built against the cluster's MPI and a hostfile listing the nodes:

    mpiexec -f hosts -n 8 python bench/scaling.py --worker OUT.json

runs one rank size (here 8) and writes its timings to OUT.json. Writes
bench/results/scaling.json; the last line printed is
SCALING ranks=<N> speedup=<x> efficiency=<e> allreduce_share=<s> waiting_share=<w>
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def data(n):
    path = os.path.join(SHARED, "binarized_mnist.npz")
    if os.path.exists(path):
        with np.load(path) as f:
            x = f["train"][:n].astype(np.float32)
        return np.concatenate([x] * (-(-n // len(x))))[:n], "binarized-mnist"
    return (np.random.default_rng(0).random((n, 784)) < 0.2).astype(np.float32), "random binary 784"


def worker(out, batch, epochs, n, threads):
    from threadpoolctl import threadpool_limits

    import minivae as mv
    from minivae import distributed
    from minivae.models import create
    from minivae.train import fit
    world = distributed.world()
    mv.backend.tune_malloc()   # as the command line does
    x, source = data(n)
    mv.manual_seed(0)
    model = create("vae", x_dim=784, z_dim=20, hidden=[400], activation="relu", likelihood="bernoulli")
    reduce_seconds, wait_seconds = [], []
    if world.size > 1:   # a barrier first splits waiting for the slowest rank from the sum itself
        summed = world.sum_gradients

        def timed(params, loss):
            start = time.perf_counter()
            world.comm.Barrier()
            middle = time.perf_counter()
            value = summed(params, loss)
            wait_seconds.append(middle - start)
            reduce_seconds.append(time.perf_counter() - middle)
            return value
        world.sum_gradients = timed
    with threadpool_limits(limits=threads, user_api="blas"):
        history = fit(model, x, epochs=epochs, batch_size=batch, lr=1e-3, progress=False, log=lambda r: None,
                      world=world)
    steps = n // batch
    epoch_seconds = [h["seconds"] for h in history[1:]]   # the first compiles kernels
    share = lambda seconds: sum(seconds[steps:]) / sum(epoch_seconds) if seconds else 0.0
    if world.rank == 0:
        with open(out, "w") as f:
            json.dump({"ranks": world.size, "blas_threads": threads, "data": source, "steps_per_epoch": steps,
                       "epoch_seconds": epoch_seconds,
                       "steps_per_second": steps / statistics.median(epoch_seconds),
                       "allreduce_share": share(reduce_seconds), "waiting_share": share(wait_seconds),
                       "parameters": sum(p.size for p in model.parameters())}, f)


def mpiexec():
    near = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return near if os.path.exists(near) else "mpiexec"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--n", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per rank")
    parser.add_argument("--worker", metavar="OUT.json", help="run as one rank of an mpiexec job")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batch, args.epochs, args.n, args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ranks in map(int, args.ranks.split(",")):
            out = os.path.join(tmp, f"r{ranks}.json")
            command = [mpiexec(), "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker", out,
                       "--batch", str(args.batch), "--epochs", str(args.epochs), "--n", str(args.n),
                       "--threads", str(args.threads)]
            env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
            subprocess.run(command, check=True, env=env)
            with open(out) as f:
                rows.append(json.load(f))
            r = rows[-1]
            print(f"{ranks} rank(s): {r['steps_per_second']:.2f} steps/s (global batch {args.batch}), "
                  f"summing the gradients {100 * r['allreduce_share']:.1f}% of the time, waiting for the "
                  f"slowest rank {100 * r['waiting_share']:.1f}%", flush=True)
    base = rows[0]["steps_per_second"]
    for r in rows:
        r["speedup"] = r["steps_per_second"] / base
        r["efficiency"] = r["speedup"] * rows[0]["ranks"] / r["ranks"]
    path = write_result("scaling", {"batch": args.batch, "epochs": args.epochs, "n": args.n,
                                    "statistic": "median epoch after the first", "rows": rows}, out=RESULTS)
    print(f"wrote {path}")
    last = rows[-1]
    print(f"SCALING ranks={last['ranks']} speedup={last['speedup']:.2f} efficiency={last['efficiency']:.2f} "
          f"allreduce_share={last['allreduce_share']:.3f} waiting_share={last['waiting_share']:.3f}")


if __name__ == "__main__":
    main()
