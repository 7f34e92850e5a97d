"""The digit judge: sure of real held-out digits and of their class, and of none of the
degenerate images a generator could hide behind (a blob, a constant, noise, pixels of a
digit shuffled, two digits overlaid)."""
import numpy as np
import pytest

from minivae.data import load_dataset
from minivae.eval.digits import DigitJudge
from shared import SHARED, needs_labelled_mnist


@pytest.fixture(scope="module")
def judged():
    from minivae.figures.drawing import digit_judge   # the figures' own judge, once a process
    return digit_judge(SHARED), load_dataset("mnist", SHARED)


@needs_labelled_mnist
def test_it_names_held_out_digits_and_only_their_own_class(judged):
    judge, data = judged
    x, y = data.valid, data.y_valid
    assert judge.kept(x, y) > 0.85 and judge.kept((x > 0.5).astype(np.float32), y) > 0.85
    assert judge.kept(x, (y + 1) % 10) < 0.01          # kept asks for the class, not any digit
    named = judge.digits(x)
    assert set(np.unique(named)) <= set(range(-1, 10)) and (named == -1).mean() < 0.15


@needs_labelled_mnist
def test_named_and_label_nll_read_the_class_whatever_the_blur(judged):
    """The class read off the likeliest output, sure or not: real digits and lightly blurred
    ones keep it; a heavy blur, the mean image or the wrong labels do not."""
    from minivae.eval.digits import blurred
    judge, data = judged
    x, y = data.valid[:2000], data.y_valid[:2000]
    smudged = blurred(x, np.random.default_rng(0), (2.5, 2.5))
    assert judge.named(x, y) > 0.93 and judge.label_nll(x, y) < 0.25
    assert judge.named(x, (y + 1) % 10) < 0.02 and judge.label_nll(x, (y + 1) % 10) > 3
    assert judge.named(smudged, y) < judge.named(x, y) - 0.1 and judge.label_nll(smudged, y) > 2 * judge.label_nll(x, y)
    blob = np.repeat(x.mean(0, keepdims=True), len(y), 0)
    assert judge.named(blob, y) < 0.2


@needs_labelled_mnist
def test_it_is_sure_of_no_degenerate_image(judged):
    judge, data = judged
    x, y, rng = data.valid, data.y_valid, np.random.default_rng(1)
    blob = np.repeat(x.mean(0, keepdims=True), 20, 0)
    constants = np.repeat(np.linspace(0, 1, 11)[:, None], 784, 1)
    noise = rng.random((500, 784))
    sparse = (rng.random((500, 784)) < 0.15).astype(np.float32)
    shuffled = np.take_along_axis(x[:500], rng.random((500, 784)).argsort(1), 1)
    for images in (blob, constants, noise, sparse, shuffled):
        assert judge.confident(images) < 0.02
    other = y[:1000] != y[1000:]
    assert judge.confident(np.maximum(x[:1000], x[1000:])[other]) < 0.25     # a 1 over a 7 may be a 7
    assert judge.confident(0.5 * (x[:1000] + x[1000:])[other]) < 0.4         # averaged: it learnt none


def test_bad_training_data_is_refused():
    with pytest.raises(ValueError, match=r"give \(n, 784\) images and n labels"):
        DigitJudge(np.zeros((5, 10)), np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="n labels"):
        DigitJudge(np.zeros((5, 784)), np.zeros(4, np.int64))


def test_a_cached_judge_is_read_back_and_a_damaged_cache_is_replaced(tmp_path, monkeypatch):
    from minivae.eval import digits
    rng = np.random.default_rng(0)
    images, labels = rng.random((200, 784)).astype(np.float32), rng.integers(0, 10, 200)
    probe = rng.random((5, 784)).astype(np.float32)
    fresh = DigitJudge(images, labels, epochs=1).probabilities(probe)
    np.testing.assert_array_equal(DigitJudge(images, labels, epochs=1, cache=str(tmp_path)).probabilities(probe), fresh)
    (cached,) = tmp_path.iterdir()
    monkeypatch.setattr(digits, "fit", lambda *a, **k: pytest.fail("trained again"))
    np.testing.assert_array_equal(DigitJudge(images, labels, epochs=1, cache=str(tmp_path)).probabilities(probe), fresh)
    monkeypatch.undo()
    cached.write_bytes(b"PK\x03\x04 not a zip")
    np.testing.assert_array_equal(DigitJudge(images, labels, epochs=1, cache=str(tmp_path)).probabilities(probe), fresh)
    assert DigitJudge(images[:100], labels[:100], epochs=1, cache=str(tmp_path)) and len(list(tmp_path.iterdir())) == 2
