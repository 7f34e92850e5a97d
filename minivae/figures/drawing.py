"""What every figure shares: ``Drawn``, the quiet training run, rows of images."""
from typing import NamedTuple

import numpy as np

from .. import plot
from ..train import fit


class Drawn(NamedTuple):
    """A figure's PNG and ``facts``: the numbers behind the lecture's point, measured on the
    figure's own run (the command prints them; the tests assert the point on them)."""
    path: str
    facts: dict


def quiet_fit(model, x, y=None, **kwargs):
    return fit(model, x, y, progress=False, log=lambda record: None, **kwargs)


def rows_of_images(rows, path, shape=(28, 28)):
    """One row of images (flat) for each (images, label) in ``rows``."""
    plt = plot._pyplot()
    fig, axes = plt.subplots(len(rows), len(rows[0][0]), figsize=(len(rows[0][0]), 1.15 * len(rows)), squeeze=False)
    for r, (images, label) in enumerate(rows):
        axes[r, 0].set_title(label, loc="left", fontsize=9)
        for ax, image in zip(axes[r], images):
            ax.imshow(np.clip(image, 0, 1).reshape(shape), cmap="gray", vmin=0, vmax=1)
            ax.axis("off")
    return plot._save(fig, path)
