"""Unsupervised pre-training, then fine-tuning (Leibe, VAE II: "the encoder can be used to
initialize a supervised model; fine-tune encoder jointly with supervised model; idea used in
the 90s and early 2000s to pre-train deeper models").

An autoencoder (or a VAE, its encoder's mu and log-variance as the features) learns from
unlabelled binarized MNIST; an MLP classifier of its encoder's shape starts from that
encoder (``MLPClassifier.start_from``) or from a fresh initialization, and is trained on a
few labelled images of MNIST's labelled set; both are scored on its 2,000 held-out images.
Each count of labels is drawn with several seeds. Writes bench/results/pretraining.json.

Usage: python bench/pretraining.py [--labels 100 1000] [--seeds 3] [--unlabelled 20000]
       [--data-dir ../shared/data]
"""
import argparse
import os
import sys
import time

import numpy as np

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

import minivae as mv  # noqa: E402
from minivae.data import load_dataset  # noqa: E402
from minivae.models import create  # noqa: E402
from minivae.train import fit  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STARTS = {   # name: (pre-training model, its settings, the classifier's feature width)
    "autoencoder": ("ae", dict(z_dim=32), 32),
    "vae": ("vae", dict(z_dim=16), 32),
}


def quiet(model, x, y=None, **kwargs):
    return fit(model, x, y, progress=False, log=lambda record: None, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--unlabelled", type=int, default=20000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500, 200])
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--finetune-epochs", type=int, default=30)
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data"))
    args = parser.parse_args()
    unlabelled = load_dataset("binarized-mnist", args.data_dir).train[:args.unlabelled]
    labelled = load_dataset("mnist", args.data_dir)
    x, y, held_out, held_out_y = labelled.train, labelled.y_train, labelled.valid, labelled.y_valid
    encoders, seconds = {}, {}
    for name, (kind, settings, _) in STARTS.items():
        mv.manual_seed(0)
        model = create(kind, x_dim=784, hidden=args.hidden, activation="relu", likelihood="bernoulli", **settings)
        start = time.perf_counter()
        quiet(model, unlabelled, epochs=args.pretrain_epochs, batch_size=100, lr=1e-3, seed=0)
        encoders[name], seconds[name] = model, time.perf_counter() - start
        print(f"pre-trained the {name} in {seconds[name]:.0f} s", flush=True)
    results = []
    for n in args.labels:
        for start_from in ["scratch", *STARTS]:
            width = 32 if start_from == "scratch" else STARTS[start_from][2]
            accuracy = []
            for seed in range(args.seeds):
                mv.manual_seed(seed + 1)
                chosen = np.random.default_rng(seed).choice(len(x), n, replace=False)
                clf = create("mlp-classifier", x_dim=784, n_classes=10, z_dim=width, hidden=args.hidden)
                if start_from != "scratch":
                    clf.start_from(encoders[start_from])
                quiet(clf, x[chosen], y[chosen], epochs=args.finetune_epochs, batch_size=25, lr=1e-3, seed=seed)
                accuracy.append(float((clf.predict(held_out) == held_out_y).mean()))
            results.append({"labels": n, "start": start_from, "accuracy": accuracy,
                            "mean_accuracy": float(np.mean(accuracy))})
            print(f"{n} labels, {start_from}: held-out accuracy {np.mean(accuracy):.3f} {np.round(accuracy, 3)}",
                  flush=True)
    path = write_result("pretraining", {
        "unlabelled_images": len(unlabelled), "hidden": args.hidden, "pretrain_epochs": args.pretrain_epochs,
        "finetune": {"epochs": args.finetune_epochs, "batch_size": 25, "lr": 1e-3, "optimizer": "adam"},
        "held_out_images": len(held_out), "pretrain_seconds": seconds, "results": results}, out=RESULTS)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
