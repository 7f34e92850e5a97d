"""The sample measure: real digits score at the floor; every degenerate set a generator could
hide behind scores worse, by at least one of the three measures, and by the Frechet distance
always."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from minivae.data import load_dataset
from minivae.eval.sample_quality import SampleQuality, frechet_distance
from shared import SHARED, needs_labelled_mnist


def test_frechet_distance_of_two_gaussians():
    """Between N(m1, S1) and N(m2, S2) with commuting covariances the distance is
    |m1 - m2|^2 + sum (sqrt(s1) - sqrt(s2))^2; a set against itself, 0."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200_000, 3)) * [1.0, 2.0, 0.5]
    b = rng.standard_normal((200_000, 3)) * [3.0, 2.0, 0.5] + [1.0, 0.0, -1.0]
    assert frechet_distance(a, b) == pytest.approx(2.0 + 4.0, rel=0.02)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


@pytest.fixture(scope="module")
def measured():
    from minivae.figures.drawing import digit_judge   # the figures' own judge, once a process
    data = load_dataset("mnist", SHARED)
    x, y = data.valid, data.y_valid
    quality = SampleQuality(digit_judge(SHARED), x[1000:])
    real = x[:1000]
    rng = np.random.default_rng(0)
    fragments = real.reshape(-1, 28, 28).copy()
    for image in fragments:                     # three 8 x 8 windows of the digit kept
        keep = np.zeros((28, 28), bool)
        for r, c in rng.integers(0, 20, (3, 2)):
            keep[r:r + 8, c:c + 8] = True
        image[~keep] = 0
    cases = {"blurred": np.stack([gaussian_filter(im.reshape(28, 28), 2.0).ravel() for im in real]),
             "fragments": fragments.reshape(-1, 784),
             "one digit repeated": np.repeat(real[:1], 1000, 0),
             "ones only": x[y == 1][:1000],
             "moved 6 pixels": np.stack([np.roll(im.reshape(28, 28), rng.integers(-6, 7, 2), (0, 1)).ravel()
                                         for im in real]),
             "mean image": np.clip(x.mean(0) + 0.01 * rng.standard_normal((1000, 784)), 0, 1),
             "two overlaid": np.maximum(real, real[::-1])}
    return quality.scores(real), {name: quality.scores(images.astype(np.float32)) for name, images in cases.items()}


@needs_labelled_mnist
def test_real_digits_score_at_the_floor(measured):
    real, _ = measured
    assert real["confident"] > 0.9 and real["class_spread"] > 0.98


@needs_labelled_mnist
@pytest.mark.parametrize("case", ["blurred", "fragments", "one digit repeated", "ones only", "moved 6 pixels",
                                  "mean image", "two overlaid"])
def test_each_degenerate_set_scores_worse(measured, case):
    """By the Frechet distance at least three times real digits' (seen: 4 to 40 times), and by
    being sure of few (blur, fragments, moved, overlaid, the mean) or naming one digit."""
    real, scores = measured
    got = scores[case]
    assert got["frechet"] > 3 * real["frechet"], (case, got, real)
    assert got["confident"] < 0.5 or got["class_spread"] < 0.1, (case, got)
