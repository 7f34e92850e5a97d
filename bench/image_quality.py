"""Image models against the plain VAE, where the lectures say they win: VAE/GAN (Larsen et
al. 2016), VAE_Disl and discriminative regularization (Lamb et al. 2016) keep what the VAE
blurs. Each model trains on binarized MNIST for the same wall-clock budget; all are judged
by one reference classifier trained on real labelled digits.

Data (../shared/data): the 50,000 binarized training images train the models; the
labelled grey test set is split, its first 8,000 images training the reference classifier
(and DR-VAE's own classifier), its last 2,000 held out for every measure.

Per model, on the held-out images and on 2,000 samples:
- reconstruction error in pixels (mean squared), and in the reference classifier's
  features (its last convolution, mean squared);
- the classifier's accuracy on the reconstructions: is the digit kept?
- a Frechet distance between real and generated images in the classifier's globally
  averaged last-convolution features (FID's recipe on our own classifier, not Inception:
  its numbers are comparable with each other here, not with published FIDs);
- the classifier-based inception score, exp E_x KL(p(y|x) || p(y)) over samples;
- sharpness: the mean absolute difference between neighbouring pixels, over the real
  images' (1 = as sharp as real digits; blur is below 1).

The reference classifier is trained once and cached (bench/.cache/); its own held-out
accuracy is reported. Writes bench/results/image_quality.json and image_quality.png
(samples and reconstructions of each model, side by side).

Usage: python bench/image_quality.py [--minutes 10] [--models vae conv-vae vaegan vae-disl dr-vae]
       [--seed 0] [--data-dir ../shared/data]
"""
import argparse
import json
import os
import sys

import numpy as np
from scipy import linalg

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

import minivae as mv  # noqa: E402
from minivae import functional as F  # noqa: E402
from minivae.core import no_grad  # noqa: E402
from minivae import image_models  # noqa: E402
from minivae.models import create  # noqa: E402
from minivae.train import fit  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
REFERENCE_CHANNELS = [32, 64]


def load(data_dir):
    with np.load(os.path.join(data_dir, "binarized_mnist.npz")) as f:
        train = f["train"].astype(np.float32)
    with np.load(os.path.join(data_dir, "mnist_test_gray.npz")) as f:
        images = (f["images"].reshape(-1, 784) / 255.0).astype(np.float32)
        labels = f["labels"].astype(np.int64)
    return train, (images[:8000], labels[:8000]), (images[8000:], labels[8000:])


def reference_classifier(labelled, held_out, seed):
    """A ConvClassifier (32, 64 channels) on the 8,000 labelled images, 5 epochs: cached."""
    path = os.path.join(CACHE, f"reference_classifier_seed{seed}.npz")
    mv.manual_seed(seed)
    clf = create("classifier", x_dim=784, n_classes=10, channels=REFERENCE_CHANNELS)
    if os.path.exists(path):
        clf.load(path)
    else:
        fit(clf, *labelled, epochs=5, batch_size=100, lr=1e-3, seed=seed, progress=False, log=lambda r: None)
        os.makedirs(CACHE, exist_ok=True)
        clf.save(path)
    clf.eval()
    accuracy = float((clf.predict(held_out[0]) == held_out[1]).mean())
    return clf, accuracy


def _batched(fn, x, size=500):
    with no_grad():
        return np.concatenate([fn(x[i:i + size]) for i in range(0, len(x), size)])


def last_features(clf, x):
    """The classifier's last convolution, flattened: (n, C h w)."""
    return _batched(lambda b: clf.layers(mv.tensor(b))[-1].numpy(), x)


def pooled_features(clf, x):
    """The last convolution averaged over positions (FID's pool): (n, C)."""
    return last_features(clf, x).reshape(len(x), REFERENCE_CHANNELS[-1], -1).mean(-1)


def class_probabilities(clf, x):
    return _batched(lambda b: F.softmax(clf.logits(mv.tensor(b)), axis=-1).numpy(), x)


def frechet(a, b):
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of two sets of features."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s_a @ s_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * np.real(root)))


def inception_score(p):
    p = np.clip(p.astype(np.float64), 1e-12, 1)
    marginal = p.mean(0, keepdims=True)
    return float(np.exp((p * (np.log(p) - np.log(marginal))).sum(1).mean()))


def sharpness(x):
    """Mean absolute difference between horizontally and vertically neighbouring pixels."""
    img = x.reshape(-1, 28, 28).astype(np.float64)
    return float((np.abs(np.diff(img, axis=1)).mean() + np.abs(np.diff(img, axis=2)).mean()) / 2)


def judge(model, clf, held_out, real_pooled, n_samples, seed):
    x, y = held_out
    mv.manual_seed(seed)
    recon = _batched(lambda b: model.reconstruct(b), x)
    samples = np.concatenate([model.sample(min(500, n_samples - i)) for i in range(0, n_samples, 500)])
    p = class_probabilities(clf, samples)
    real_sharp = sharpness(x)
    scores = {"recon_pixel_mse": float(((recon - x) ** 2).mean()),
              "recon_feature_mse": float(((last_features(clf, recon) - last_features(clf, x)) ** 2).mean()),
              "recon_accuracy": float((class_probabilities(clf, recon).argmax(1) == y).mean()),
              "recon_sharpness_vs_real": sharpness(recon) / real_sharp,
              "sample_frechet_distance": frechet(pooled_features(clf, samples), real_pooled),
              "sample_inception_score": inception_score(p),
              "sample_sharpness_vs_real": sharpness(samples) / real_sharp}
    return scores, recon[:8], samples[:8]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per model")
    parser.add_argument("--models", nargs="+", choices=list(image_models.MODELS), default=list(image_models.MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data"))
    parser.add_argument("--name", default="image_quality")
    parser.add_argument("--set", nargs="+", default=[], metavar="MODEL.OPTION=VALUE",
                        help="change a model's setting or its training's, e.g. vaegan.gamma=1e-3 vaegan.lr=1e-4 "
                             "vaegan.feature_sigma=learned (the value read as JSON, else taken as a word)")
    args = parser.parse_args()
    changes = {key: {} for key in image_models.MODELS}
    for item in args.set:
        key, _, value = item.partition("=")
        model, _, option = key.partition(".")
        if model not in changes or not option or not value:
            parser.error(f"--set {item!r}: expected MODEL.OPTION=VALUE with MODEL one of {', '.join(changes)}")
        try:
            changes[model][option] = json.loads(value)
        except ValueError:
            changes[model][option] = value
    train, labelled, held_out = load(args.data_dir)
    clf, accuracy = reference_classifier(labelled, held_out, args.seed)
    print(f"reference classifier: held-out accuracy {accuracy:.4f}", flush=True)
    real_pooled = pooled_features(clf, held_out[0])
    results, rows = {}, []
    for key in args.models:
        name, model, training = image_models.build(key, args.seed, **changes[key])
        print(f"{name}: training for {args.minutes} minutes", flush=True)
        seen, seconds, last = image_models.train(
            model, train, training, args.seed, labelled, seconds=60 * args.minutes, log=lambda r: print(
                f"  round {r['epoch']}  " + "  ".join(f"{k} {v:.3f}" for k, v in r.items() if k.startswith("train_")),
                flush=True))
        model.eval()
        scores, recon, samples = judge(model, clf, held_out, real_pooled, args.samples, args.seed)
        results[key] = {"name": name, "settings": model.spec["kwargs"],
                        "training": training, "images_seen": seen, "epochs": seen / len(train), "seconds": seconds,
                        "last_train": {k: v for k, v in last.items() if k.startswith("train_")}, **scores}
        rows.append((name, held_out[0][:8], recon, samples))
        print(f"{name}: {seen / len(train):.2f} epochs in {seconds:.0f} s  "
              + "  ".join(f"{k} {v:.4g}" for k, v in scores.items()), flush=True)
    real = {"sharpness": sharpness(held_out[0]), "frechet_distance_of_real_halves": frechet(
        real_pooled[:1000], real_pooled[1000:]), "inception_score": inception_score(class_probabilities(
            clf, held_out[0]))}
    path = write_result(args.name, {"minutes_per_model": args.minutes, "seed": args.seed,
                                    "reference_classifier": {"channels": REFERENCE_CHANNELS, "epochs": 5, "train_images": 8000,
                                                             "held_out_accuracy": accuracy},
                                    "real_held_out": real, "models": results})
    print(f"wrote {path}")
    try:
        print(f"wrote {image_models.picture(rows, os.path.join(RESULTS, args.name + '.png'))}")
    except ValueError:
        print("no picture: matplotlib is not installed")


if __name__ == "__main__":
    main()
