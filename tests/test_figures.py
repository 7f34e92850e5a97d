"""Each lecture figure is drawn by one command, within seconds, into a PNG."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from minivae import figures  # noqa: E402
from shared import SHARED  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_each_figure_writes_a_png(name, tmp_path, monkeypatch):
    for needed in {"aae-style": ["mnist_test_gray.npz"],
                   "image-models": ["mnist_test_gray.npz", "binarized_mnist.npz"]}.get(name, []):
        if not os.path.exists(os.path.join(SHARED, needed)):
            pytest.skip(f"../shared/data/{needed} is absent")
    if name == "image-models":   # five models for 20,000 images each take minutes: here 500
        monkeypatch.setitem(figures.FIGURES, name, lambda path, **kw: figures.image_models(path, images=500, **kw))
    path = tmp_path / f"{name}.png"
    assert figures.draw(name, str(path), data_dir=SHARED) == str(path)
    with open(path, "rb") as f:
        assert f.read(8) == PNG


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
