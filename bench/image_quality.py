"""Image models against the plain VAE, where the lectures say they win: VAE/GAN (Larsen et
al. 2016), VAE_Disl and discriminative regularization (Lamb et al. 2016) keep what the VAE
blurs. Each model trains on binarized MNIST for the same wall-clock budget; all are judged
by one digit judge (minivae.eval.digits.DigitJudge) trained on real labelled digits.

Data (../shared/data): the 50,000 binarized training images train the models; the
labelled grey test set is split, its first 8,000 images training the judge (and DR-VAE's
own classifier), its last 2,000 held out for every measure.

Per model, on the 2,000 held-out digits and on 2,000 samples (minivae.eval.sample_quality):
- reconstructions: the error in pixels (mean squared); ``recon_kept``, the share the judge
  is sure show the input's digit; ``recon_named``, the share whose likeliest class is the
  input's digit, sure or not, and ``recon_label_nll``, the mean -log p(digit | recon) (the
  judge is sure of only about 0.91 of real digits, so ``recon_kept`` saturates there);
  their Frechet distance to the real digits;
- samples: ``sample_confident``, the share the judge is sure show a digit; the spread of the
  digits it names (1: all ten alike, 0: one); their Frechet distance to the real digits, in
  the judge's features, kept whole (pooled over positions, as FID pools Inception's, digits
  moved off centre scored as real);
- sharpness of both: the mean absolute difference between neighbouring pixels, over the real
  images' (1 = as sharp as real digits; blur is below 1).

The judge is trained once and cached (bench/.cache/). Real digits' own scores are reported
beside: how many held-out digits it keeps, grey and cut at 0.5, and the sample measures of as
many binarized digits no model trained on (binarized MNIST's validation images): the floor.
A reconstruction's Frechet distance is to the very digits it reconstructs, so its floor is 0. Writes bench/results/NAME.json and
NAME.png (samples and reconstructions of each model, side by side) and NAME_samples.png
(100 samples of each model).

Usage: python bench/image_quality.py [--minutes 10 | --epochs E] [--models vae conv-vae vaegan vae-disl dr-vae]
       [--seed 0] [--data-dir ../shared/data]
"""
import argparse
import json
import os

import numpy as np

import minivae as mv
from minivae import image_models
from minivae.benchmarks.common import RESULTS, write_result
from minivae.core import no_grad
from minivae.eval.digits import DigitJudge
from minivae.eval.sample_quality import SampleQuality

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")


def load(data_dir):
    with np.load(os.path.join(data_dir, "binarized_mnist.npz")) as f:
        train, unseen = f["train"].astype(np.float32), f["valid"].astype(np.float32)
    with np.load(os.path.join(data_dir, "mnist_test_gray.npz")) as f:
        images = (f["images"].reshape(-1, 784) / 255.0).astype(np.float32)
        labels = f["labels"].astype(np.int64)
    return train, unseen, (images[:8000], labels[:8000]), (images[8000:], labels[8000:])


def _batched(fn, x, size=500):
    with no_grad():
        return np.concatenate([fn(x[i:i + size]) for i in range(0, len(x), size)])


def sharpness(x):
    """Mean absolute difference between horizontally and vertically neighbouring pixels."""
    img = x.reshape(-1, 28, 28).astype(np.float64)
    return float((np.abs(np.diff(img, axis=1)).mean() + np.abs(np.diff(img, axis=2)).mean()) / 2)


def judge(model, quality, held_out, n_samples, seed):
    x, y = held_out
    mv.manual_seed(seed)
    recon = _batched(lambda b: model.reconstruct(b), x)
    samples = np.concatenate([model.sample(min(500, n_samples - i)) for i in range(0, n_samples, 500)])
    real_sharp = sharpness(x)
    sample_scores = quality.scores(samples)
    scores = {"recon_pixel_mse": float(((recon - x) ** 2).mean()),
              "recon_kept": quality.judge.kept(recon, y),
              "recon_named": quality.judge.named(recon, y), "recon_label_nll": quality.judge.label_nll(recon, y),
              "recon_frechet": quality.frechet(recon),
              "recon_sharpness_vs_real": sharpness(recon) / real_sharp,
              **{f"sample_{k}": v for k, v in sample_scores.items()},
              "sample_sharpness_vs_real": sharpness(samples) / real_sharp}
    return scores, recon[:8], samples[:100]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="training budget per model, of wall-clock time (default 10)")
    budget.add_argument("--epochs", type=float, help="training budget per model, of passes over the 50,000 images")
    parser.add_argument("--models", nargs="+", choices=list(image_models.SETUPS), default=list(image_models.SETUPS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data"))
    parser.add_argument("--name", default="image_quality")
    parser.add_argument("--keep", metavar="FOLDER", help="save each trained model there (NAME_MODEL.npz), to judge again")
    parser.add_argument("--set", nargs="+", default=[], metavar="MODEL.OPTION=VALUE",
                        help="change a model's setting or its training's, e.g. vaegan.gamma=1e-3 vaegan.lr=1e-4 "
                             "vaegan.feature_sigma=learned (the value read as JSON, else taken as a word)")
    args = parser.parse_args()
    changes = {key: {} for key in image_models.SETUPS}
    for item in args.set:
        key, _, value = item.partition("=")
        model, _, option = key.partition(".")
        if model not in changes or not option or not value:
            parser.error(f"--set {item!r}: expected MODEL.OPTION=VALUE with MODEL one of {', '.join(changes)}")
        try:
            changes[model][option] = json.loads(value)
        except ValueError:
            changes[model][option] = value
    if args.epochs is None and args.minutes is None:
        args.minutes = 10.0
    if args.keep:   # made before the training, not found missing after it
        os.makedirs(args.keep, exist_ok=True)
    train, unseen, labelled, held_out = load(args.data_dir)
    quality = SampleQuality(DigitJudge(*labelled, cache=CACHE), held_out[0])
    binary = (held_out[0] > 0.5).astype(np.float32)
    real = {"kept": quality.judge.kept(*held_out), "binary_kept": quality.judge.kept(binary, held_out[1]),
            "named": quality.judge.named(*held_out), "label_nll": quality.judge.label_nll(*held_out),
            **{f"unseen_binarized_{k}": v for k, v in quality.scores(unseen[:args.samples]).items()},
            "sharpness": sharpness(held_out[0])}
    print("real held-out digits: " + "  ".join(f"{k} {v:.4g}" for k, v in real.items()), flush=True)
    results, rows = {}, []
    for key in args.models:
        name, model, training = image_models.build(key, args.seed, **changes[key])
        print(f"{name}: training for " + (f"{args.minutes} minutes" if args.epochs is None else f"{args.epochs} epochs"),
              flush=True)
        budget = dict(seconds=60 * args.minutes) if args.epochs is None else dict(images=args.epochs * len(train))
        seen, seconds, last = image_models.train(
            model, train, training, args.seed, labelled, **budget, log=lambda r: print(
                f"  round {r['epoch']}  " + "  ".join(f"{k} {v:.3f}" for k, v in r.items() if k.startswith("train_")),
                flush=True))
        model.eval()
        if args.keep:
            model.save(os.path.join(args.keep, f"{args.name}_{key}.npz"))
        scores, recon, samples = judge(model, quality, held_out, args.samples, args.seed)
        results[key] = {"name": name, "settings": model.spec["kwargs"],
                        "training": training, "images_seen": seen, "epochs": seen / len(train), "seconds": seconds,
                        "last_train": {k: v for k, v in last.items() if k.startswith("train_")}, **scores}
        rows.append((name, held_out[0][:8], recon, samples))
        print(f"{name}: {seen / len(train):.2f} epochs in {seconds:.0f} s  "
              + "  ".join(f"{k} {v:.4g}" for k, v in scores.items()), flush=True)
    path = write_result(args.name, {"minutes_per_model": args.minutes, "epochs_per_model": args.epochs, "seed": args.seed,
                                    "judge": {"train_images": 8000, "threshold": quality.judge.threshold},
                                    "real_held_out": real, "models": results}, out=RESULTS)
    print(f"wrote {path}")
    try:
        print(f"wrote {image_models.picture([(n, x, r, s[:8]) for n, x, r, s in rows], os.path.join(RESULTS, args.name + '.png'))}")
        print(f"wrote {image_models.sample_sheet([(n, s) for n, _, _, s in rows], os.path.join(RESULTS, args.name + '_samples.png'))}")
    except ValueError:
        print("no picture: matplotlib is not installed")


if __name__ == "__main__":
    main()
