"""Each lecture figure is drawn by one command, within seconds, into a PNG, and shows the
lecture's point: POINTS asserts it on the numbers the figure's own run measured."""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from minivae import figures  # noqa: E402
from minivae.figures import aae, autoencoders, toys, vaes  # noqa: E402
from minivae.figures.drawing import quiet_fit  # noqa: E402
from minivae.figures.points import OPEN, POINTS  # noqa: E402
from shared import SHARED  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"

# The figures whose asserting run takes most of a minute or more here: the suite draws them
# from a few images for one epoch, and asserts their points on the facts bench/figures.py
# recorded for seeds 0, 1 and 2 (test_the_recorded_runs_hold_their_points), so that the suite
# stays under ten minutes on 2 cores (641 s in a fresh clone with them, 2026-12-07; their
# points took 20,000 images for aae-gaussian and 30,000 for aae-mixture at seed 1, 71 to 78
# s and 40 to 45 s, and pca-vs-ae's its full 20,000 images, 30 to 34 s).
BENCH_ONLY = {"aae-mixture", "aae-gaussian", "pca-vs-ae"}
CHEAPER = {   # the figures that take minutes, drawn here from fewer images
    "image-models": dict(images=500), "vae-manifold": dict(images=10_000), "aae-manifold": dict(images=10_000),
    "cvae-hole-filling": dict(images=10_000), "pca-vs-ae-codes": dict(tsne=False, epochs=5),
    "ae-as-generator": dict(images=10_000),
    "iwae-sir": dict(epochs=5, iw_images=5000), "adversarial-ae": dict(epochs=50), "beta-tradeoff": dict(images=5000),
    "latent-traversal": dict(images=15_000, epochs=15),
    **{name: dict(images=2000) for name in (set(OPEN) - set(POINTS)) | BENCH_ONLY}}
# The seed standard: a figure in the docs is drawn on seed 0; its point is asserted here on
# another seed (bench/figures.py records seeds 0, 1 and 2 in bench/results/figures.json).
SEED = {"aae-manifold": 1, "aae-dim-reduction": 1, "ae-as-generator": 1,
        "iwae-sir": 1, "adversarial-ae": 1, "ae-vs-vae-codes": 1, "denoise-before-after": 1,
        "cvae-samples": 1, "beta-tradeoff": 1, "contractive-tangents": 1, "latent-traversal": 1,
        "sparse-ae-codes": 1, "cvae-hole-filling": 1}


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_each_figure_writes_a_png(name, tmp_path, monkeypatch):
    both = ["mnist_test_gray.npz", "binarized_mnist.npz"]
    for needed in {"aae-style": ["mnist_test_gray.npz"], "image-models": both, "vae-manifold": both,
                   "aae-manifold": both, "cvae-samples": both, "cvae-hole-filling": both,
                   "pca-vs-ae-codes": ["mnist_test_gray.npz"], "contractive-tangents": ["mnist_test_gray.npz"],
                   "aae-dim-reduction": ["mnist_test_gray.npz"], "aae-gaussian": both, "aae-mixture": both,
                   "aae-label-informed": both, "aae-swiss-roll": both, "ae-as-generator": both,
                   "iwae-sir": both, "denoise-before-after": both, "pca-vs-ae": both, "beta-tradeoff": both}.get(name, []):
        if not os.path.exists(os.path.join(SHARED, needed)):
            pytest.skip(f"../shared/data/{needed} is absent")
    if name in CHEAPER:
        full = figures.FIGURES[name]
        monkeypatch.setitem(figures.FIGURES, name, lambda path, **kw: full(path, **CHEAPER[name], **kw))
    if name not in POINTS or name in BENCH_ONLY:   # nothing to assert here: one epoch draws the picture, untrained
        for module in (autoencoders, aae, toys, vaes):
            monkeypatch.setattr(module, "quiet_fit", lambda *a, epochs=1, **kw: quiet_fit(*a, **{**kw, "epochs": 1}))
    path = tmp_path / f"{name}.png"
    drawn = figures.draw(name, str(path), seed=SEED.get(name, 0), data_dir=SHARED)
    assert drawn.path == str(path)
    with open(path, "rb") as f:
        assert f.read(8) == PNG
    if name in POINTS and name not in BENCH_ONLY:
        assert POINTS[name](drawn.facts), drawn.facts


def test_the_recorded_runs_hold_their_points():
    """Every figure bench/figures.py recorded holds its point, as stated now, on each seed it
    was drawn on; those asserted only here were drawn on seeds 0, 1 and 2."""
    import json
    from minivae.benchmarks.common import RESULTS
    with open(os.path.join(RESULTS, "figures.json")) as f:
        recorded = json.load(f)
    assert BENCH_ONLY <= set(recorded)
    for name, entry in recorded.items():
        seeds = {run["seed"] for run in entry["seeds"]}
        assert name not in BENCH_ONLY or seeds >= {0, 1, 2}, (name, seeds)
        if name in POINTS:
            assert all(POINTS[name](run["facts"]) for run in entry["seeds"]), name


def test_every_point_belongs_to_a_figure():
    assert set(POINTS) <= set(figures.FIGURES) and set(OPEN) <= set(figures.FIGURES)


def test_each_figure_names_the_lecture_and_figure_it_reproduces():
    assert set(figures.SOURCES) == set(figures.FIGURES)
    for name, line in figures.describe().items():
        assert line.startswith(f"[{figures.SOURCES[name]}] ") and len(line) > len(figures.SOURCES[name]) + 20


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "minivae.cli", "figure", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def test_the_command_lists_draws_and_refuses_in_one_line(tmp_path):
    listing = _cli("--list")
    assert listing.returncode == 0 and [line.split()[0] for line in listing.stdout.splitlines()] == list(figures.FIGURES)
    out = tmp_path / "density.png"
    assert _cli("naive-mc-density", "--out", out).returncode == 0 and out.exists()
    again = _cli("naive-mc-density", "--out", out)
    assert again.returncode == 2 and "exists; pass --force" in again.stderr and "Traceback" not in again.stderr
    unknown = _cli("no-such-figure")
    assert unknown.returncode == 2 and "unknown figure" in unknown.stderr
    no_data = _cli("aae-style", "--out", tmp_path / "style.png", "--data-dir", tmp_path)
    assert no_data.returncode == 2 and "aae-style needs MNIST's labelled images" in no_data.stderr
    assert len(no_data.stderr.strip().splitlines()) == 1 and not (tmp_path / "style.png").exists()


def test_the_list_gives_each_figure_a_whole_first_sentence():
    """``figure --list`` once cut three descriptions off at "Fig" (issue 24)."""
    from minivae.figures import describe
    for name, text in describe().items():
        assert not re.search(r"\b(Fig|al|e\.g|i\.e)$", text), (name, text)
        assert len(text.split("] ", 1)[1]) > 40, (name, text)


def test_figures_are_drawn_with_one_blas_thread(tmp_path, monkeypatch):
    """Whatever the caller's thread count, a figure's products run on one BLAS thread, so
    that a seed draws the same figure on a machine of any core count (issue 23)."""
    from threadpoolctl import threadpool_info, threadpool_limits
    from minivae import figures
    from minivae.figures.drawing import Drawn
    seen = []

    def record(path, seed=0):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        return Drawn(path, {})
    monkeypatch.setitem(figures.FIGURES, "gaussian-toy", record)
    with threadpool_limits(limits=2, user_api="blas"):
        figures.draw("gaussian-toy", str(tmp_path / "g.png"))
    assert seen == [{1}]
