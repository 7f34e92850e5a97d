"""A dSprites-like image dataset drawn in code, so the demo needs no download: 28x28 binary
images of a shape (square, ellipse, heart) at a scale, rotation and position, with those
five generative factors known for every image (for latent traversals and disentanglement)."""
import numpy as np

SIZE = 28
SHAPES = ("square", "ellipse", "heart")
FACTORS = ("shape", "scale", "rotation", "x", "y")


def _inside(shape, u, v):
    """Whether the points (u, v) in the shape's own frame (unit size) are inside it."""
    if shape == "square":
        return (np.abs(u) <= 0.8) & (np.abs(v) <= 0.8)
    if shape == "ellipse":
        return (u / 1.0) ** 2 + (v / 0.6) ** 2 <= 1.0
    # heart: (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled to fit the unit frame
    x, y = u * 1.25, -v * 1.25 + 0.2
    return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0


def sprites(n, seed=0):
    """(images (n, 784) float32 in {0, 1}, factors (n, 5): shape, scale, rotation, x, y)."""
    rng = np.random.default_rng(seed)
    shape = rng.integers(0, len(SHAPES), n)
    scale = rng.uniform(0.5, 1.0, n)
    rotation = rng.uniform(0, 2 * np.pi, n)
    pos = rng.uniform(0.3, 0.7, (n, 2))
    factors = np.stack([shape, scale, rotation, pos[:, 0], pos[:, 1]], 1)
    return draw(factors), factors.astype(np.float32)


def draw(factors):
    """The (n, 784) images of the sprites with the given (n, 5) factors."""
    factors = np.asarray(factors, np.float64)
    grid = (np.arange(SIZE) + 0.5) / SIZE
    gx, gy = np.meshgrid(grid, grid)
    images = np.zeros((len(factors), SIZE, SIZE), np.float32)
    for i, (shape, scale, rotation, px, py) in enumerate(factors):
        dx, dy = gx - px, gy - py
        c, s = np.cos(rotation), np.sin(rotation)
        radius = 0.3 * scale
        u, v = (c * dx + s * dy) / radius, (-s * dx + c * dy) / radius
        images[i] = _inside(SHAPES[int(shape)], u, v)
    return images.reshape(len(factors), SIZE * SIZE)
