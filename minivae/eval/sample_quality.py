"""How much a model's images look like real digits, judged by a digit judge (digits.py):

- ``confident``: the share of images it is sure (p >= 0.9) show a digit;
- ``class_spread``: the entropy of the digits it names, over log 10 (1: all ten alike; 0:
  one digit repeated);
- ``frechet``: the Frechet distance (FID's recipe: Heusel et al. 2017) between the images and
  real digits in the judge's last features before its head, projected on their 64 main
  directions among the real digits.

The features are kept whole, not averaged over positions as FID pools Inception's: pooled,
digits moved 6 pixels off centre scored as near to real ones as real ones did (0.045 against
0.051), and strokes where digits put ink score well whether or not they form a digit. Other
real digits set the floor; the degenerate cases, blurred digits, fragments, one digit
repeated, the mean image, two digits overlaid, all score worse
(tests/eval/test_sample_quality.py)."""
import numpy as np
from scipy import linalg



class SampleQuality:
    """The three measures against ``real`` (n, 784) held-out digits, by ``judge``."""

    def __init__(self, judge, real, components=64):
        real = np.asarray(real, np.float32)
        if real.ndim != 2 or real.shape[1] != 784 or len(real) <= components:
            raise ValueError(f"SampleQuality: give more than {components} real (n, 784) images, got {real.shape}")
        self.judge = judge
        features = judge.features(real)
        self.mean = features.mean(0)
        self.basis = np.linalg.svd(features - self.mean, full_matrices=False)[2][:components]
        self.real = self._project(features)

    def _project(self, features):
        return (features - self.mean) @ self.basis.T

    def frechet(self, images):
        return frechet_distance(self._project(self.judge.features(images)), self.real)

    def class_spread(self, images):
        named = self.judge.digits(images)
        named = named[named >= 0]
        if len(named) == 0:
            return 0.0
        share = np.bincount(named, minlength=10) / len(named)
        share = share[share > 0]
        return float(abs((share * np.log(share)).sum()) / np.log(10))

    def scores(self, images):
        return {"confident": self.judge.confident(images), "class_spread": self.class_spread(images),
                "frechet": self.frechet(images)}


def frechet_distance(a, b):
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between two sets of features (n, d)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(root).all():   # a singular product (one image repeated): offset as FID's reference code does
        offset = 1e-6 * np.eye(len(s_a))
        root = linalg.sqrtm((s_a + offset) @ (s_b + offset))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * np.real(root)))

