"""Pictures, written as PNG files (atomically: a temporary file, then a rename). Needs
matplotlib: pip install "minivae[plot]"."""
import numpy as np

from .atomic import write_atomically


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("pictures need matplotlib: pip install 'minivae[plot]'") from None
    return plt


def _save(fig, path):
    try:
        return write_atomically(path, lambda f: fig.savefig(f, format="png", dpi=90, bbox_inches="tight"), ".png")
    finally:
        _pyplot().close(fig)


def tiles(images, columns, shape, gap=2):
    """Images (n, h w) laid out in rows of ``columns`` as one array, a mid-grey gap between
    them: one picture drawn once (an axes per image cost matplotlib about 40 ms each)."""
    h, w = shape
    rows = -(-len(images) // columns)
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), 0.5)
    for i, image in enumerate(np.asarray(images)):
        r, c = divmod(i, columns)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image.reshape(shape)
    return canvas


def image_grid(images, path, title="", shape=(28, 28)):
    plt = _pyplot()
    images = np.asarray(images)
    k = int(np.ceil(np.sqrt(len(images))))
    fig, ax = plt.subplots(figsize=(k * 0.8, k * 0.8))
    ax.imshow(tiles(images, k, shape), cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    fig.suptitle(title)
    return _save(fig, path)


def points(data, path, title="", other=None, labels=("data", "model")):
    """A 2-D scatter of data, and of model output when given."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(*np.asarray(data)[:, :2].T, s=2, alpha=0.5, label=labels[0])
    if other is not None:
        ax.scatter(*np.asarray(other)[:, :2].T, s=2, alpha=0.5, label=labels[1])
        ax.legend()
    ax.set_aspect("equal")
    ax.set_title(title)
    return _save(fig, path)


def latent_scatter(codes, path, labels=None, title="codes"):
    plt = _pyplot()
    codes = np.asarray(codes)
    fig, ax = plt.subplots(figsize=(5, 5))
    y = codes[:, 1] if codes.shape[1] > 1 else np.zeros(len(codes))
    art = ax.scatter(codes[:, 0], y, s=3, **({} if labels is None else {"c": labels, "cmap": "tab10"}))
    if labels is not None:
        fig.colorbar(art, ax=ax)
    ax.set_title(title)
    return _save(fig, path)


def manifold(model, path, n=15, shape=(28, 28), units=(0, 1)):
    """The decoder's output over a 2-D latent grid placed at the Gaussian's quantiles
    (z = Phi^-1(u), u evenly spaced in (0, 1)), as in Kingma & Welling's Fig. 4. With a
    larger code the grid spans ``units`` and the other units stay at 0, the prior's mean."""
    from .latent import decoded_grid
    return grid(decoded_grid(model, n, units), path, shape, "decoder over the latent grid (Gaussian quantiles)" + (
        "" if getattr(model, "z_dim", 2) == 2 else f" (units {units[0]} and {units[1]}, the rest at 0)"))


def grid(images, path, shape=(28, 28), title=""):
    """n * n images (flat), row by row, as one square canvas."""
    plt = _pyplot()
    n = int(round(np.sqrt(len(images))))
    fig, ax = plt.subplots(figsize=(6, 6))
    canvas = np.block([[np.asarray(images[r * n + c]).reshape(shape) for c in range(n)] for r in range(n)])
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def traversal(model, x, path, span=2.5, steps=9, shape=(28, 28), units=None, labels=None):
    """Latent units moved from -span to +span around the code of x, the others fixed: one
    row per unit of ``units`` (default: all), captioned with ``labels`` when given (the
    factor each unit tracks, say)."""
    from .latent import traversal
    rows = traversal(model, x, span, steps, units)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(steps * 0.8 + (1.6 if labels else 0), len(rows) * 0.8))
    ax.imshow(tiles(rows.reshape(-1, rows.shape[-1]), steps, shape), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([r * (shape[0] + 2) + shape[0] / 2 for r in range(len(rows))] if labels else [])
    if labels:
        ax.set_yticklabels(labels, fontsize=8)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.suptitle(f"latent traversals, {-span} to {span}: one unit per row")
    return _save(fig, path)


def curves(history, path):
    """Training (and validation) curves from the trainer's history."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [h["epoch"] for h in history]
    for key in sorted({k for h in history for k in h if k.startswith(("train_", "valid_loss"))}):
        ax.plot(epochs, [h.get(key, np.nan) for h in history], label=key)
    ax.set_xlabel("epoch")
    ax.legend()
    return _save(fig, path)


def weight_histogram(weights, path):
    """Histogram of IWAE's normalized importance weights (how many samples matter)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(np.asarray(weights).ravel(), bins=50, log=True)
    ax.set_xlabel("normalized weight")
    return _save(fig, path)


def roofline(rows, peaks, path, title="roofline", label=10):
    """Each op (a profile's row: FLOPs per byte, GFLOP/s) as a point, its area its share of
    the time, under the machine's ceilings: the GEMM rate and bandwidth x intensity (memory's,
    solid; a cache's, dashed). The ``label`` longest are numbered, and named beside."""
    plt = _pyplot()
    rows = [r for r in rows if r["flops"] > 0 and r["bytes"] > 0 and r["seconds"] > 0]
    fig, ax = plt.subplots(figsize=(10, 5))
    fig.subplots_adjust(right=0.62)
    total = sum(r["seconds"] for r in rows) or 1.0
    low = min([r["intensity"] for r in rows] + [0.1]) / 2
    high = max([r["intensity"] for r in rows] + [4 * peaks["flops"] / peaks["bandwidth"]]) * 2
    intensity = np.geomspace(low, high, 200)
    ax.loglog(intensity, np.minimum(peaks["flops"], intensity * peaks["bandwidth"]) / 1e9, color="k", lw=1.5,
              label=f"limits: {peaks['flops'] / 1e9:.0f} GFLOP/s, memory {peaks['bandwidth'] / 1e9:.1f} GB/s")
    if "cache_bandwidth" in peaks:   # small operands stay in cache, above the memory's line
        ax.loglog(intensity, np.minimum(peaks["flops"], intensity * peaks["cache_bandwidth"]) / 1e9, color="k",
                  lw=1, ls="--", label=f"cache {peaks['cache_bandwidth'] / 1e9:.1f} GB/s")
    for phase, marker in zip(sorted({r["phase"] for r in rows}), "osD^v"):
        mine = [r for r in rows if r["phase"] == phase]
        ax.scatter([r["intensity"] for r in mine], [max(r["gflops"], 1e-3) for r in mine], marker=marker,
                   s=[20 + 600 * r["seconds"] / total for r in mine], alpha=0.5, label=phase)
    names = []
    for i, r in enumerate(sorted(rows, key=lambda r: -r["seconds"])[:label], 1):
        ax.annotate(str(i), (r["intensity"], max(r["gflops"], 1e-3)), fontsize=7, ha="center", va="center")
        names.append(f"{i:2d} {r['op']} {r['phase']}, {r['seconds'] / total:.0%}\n   "
                     + "".join(r["shapes"].replace(", ", ",").split(" ")[:2]))
    fig.text(0.64, 0.88, "\n".join(names), fontsize=7, va="top", family="monospace")
    ax.set_xlabel("arithmetic intensity (FLOPs per byte)")
    ax.set_ylabel("GFLOP/s achieved")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)
