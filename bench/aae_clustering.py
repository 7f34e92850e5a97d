"""Makhzani et al.'s unsupervised clustering (Sec. 6) on MNIST: a clustering AAE with 16
clusters and a 2-D style, trained on binarized MNIST's 50,000 training digits without
labels; each cluster named by the most common digit among MNIST's 2,000 held-out labelled
test digits in it (binarized by sampling), and the share of those digits whose cluster's
name is theirs (``majority_accuracy``; the paper: about 0.90 with 16 clusters).

Usage: python bench/aae_clustering.py [--seeds 0 1 2] [--clusters 16] [--epochs 10]
       [--hidden 400] [--data-dir ../shared/data]
Writes bench/results/aae_clustering_mnist.json. Two seeds train at once, one BLAS thread each.
"""
import argparse
import concurrent.futures
import os
import time

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def one_seed(seed, args):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[name] = "1"
    import numpy as np
    from minivae import backend
    from minivae.data import load_dataset
    from minivae.models import create
    from minivae.models.clustering_aae import majority_accuracy
    from minivae.train import fit
    train, labelled = load_dataset("binarized-mnist", args.data_dir), load_dataset("mnist", args.data_dir)
    shown = (np.random.default_rng(2).random(labelled.valid.shape) < labelled.valid).astype(np.float32)
    backend.manual_seed(seed)
    model = create("clustering-aae", x_dim=784, n_clusters=args.clusters, z_dim=2, hidden=args.hidden,
                   likelihood="bernoulli")
    start = time.perf_counter()
    fit(model, train.train, epochs=args.epochs, batch_size=100, lr=1e-3, seed=seed, progress=False,
        log=lambda record: None)
    found = model.cluster(shown)
    return {"seed": seed, "seconds": round(time.perf_counter() - start, 1),
            "majority_accuracy": float(majority_accuracy(found, labelled.y_valid)),
            "clusters_used": int(len(np.unique(found)))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--clusters", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, nargs="+", default=[400])
    parser.add_argument("--data-dir", default=SHARED)
    args = parser.parse_args()
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(one_seed, args.seeds, [args] * len(args.seeds)))
    for run in runs:
        print(f"seed {run['seed']}: majority accuracy {run['majority_accuracy']:.3f}, {run['clusters_used']} "
              f"clusters used, {run['seconds']} s", flush=True)
    from minivae.benchmarks.common import RESULTS, write_result
    path = write_result("aae_clustering_mnist", {"clusters": args.clusters, "epochs": args.epochs,
                                                  "hidden": args.hidden, "seeds": runs}, out=RESULTS)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
