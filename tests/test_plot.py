import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib.image  # noqa: E402
from scipy.stats import norm  # noqa: E402

from minivae import plot  # noqa: E402


class FakeDecoder:
    """Images whose brightness is Phi(z_0): the manifold must brighten left to right."""
    z_dim = 2

    def constant(self, array):
        from minivae.ops import Tensor
        return Tensor(array)

    def decode(self, z, y=None):
        return z

    def data_mean(self, z):
        from minivae.ops import Tensor
        v = norm.cdf(z.numpy()[:, :1])
        return Tensor(np.repeat(v, 16, axis=1).astype(np.float32))


def test_manifold_places_the_grid_at_gaussian_quantiles(tmp_path):
    path = plot.manifold(FakeDecoder(), str(tmp_path / "m.png"), n=5, shape=(4, 4))
    img = matplotlib.image.imread(path)
    assert img.shape[2] in (3, 4) and os.listdir(tmp_path) == ["m.png"]   # no temporary file left
    gray = img[..., :3].mean(-1)
    rows, cols = gray.shape
    band = gray[rows // 3: 2 * rows // 3]
    left, right = band[:, cols // 5: 2 * cols // 5].mean(), band[:, 3 * cols // 5: 4 * cols // 5].mean()
    assert right > left + 0.1


def test_image_grid_and_curves_write_png(tmp_path):
    images = np.zeros((9, 784), np.float32)
    images[4] = 1.0
    path = plot.image_grid(images, str(tmp_path / "g.png"))
    img = matplotlib.image.imread(path)[..., :3].mean(-1)
    h, w = img.shape
    assert img[h // 2 - 2: h // 2 + 2, w // 2 - 2: w // 2 + 2].mean() > img[: h // 5, : w // 5].mean()   # the bright tile is central
    history = [{"epoch": e, "train_model": 10.0 / e, "valid_loss": 11.0 / e} for e in range(1, 5)]
    with open(plot.curves(history, str(tmp_path / "c.png")), "rb") as f:
        assert f.read(4) == b"\x89PNG"


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ValueError, match=r"pictures need matplotlib: pip install 'minivae\[plot\]'"):
        plot.latent_scatter(np.zeros((3, 2)), "x.png")
