"""Datasets by name or path: ``load_dataset("ring")``, ``load_dataset("binarized-mnist")``,
``load_dataset("path/to/file.npz")``. Files are looked for in ``data_dir``, else in
$MINIVAE_DATA, else in ./data."""
import dataclasses
import functools
import os
import warnings

import numpy as np

from . import files, toy
from .sprites import FACTORS, sprites


@dataclasses.dataclass
class Dataset:
    name: str
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray = None
    y_train: np.ndarray = None
    y_valid: np.ndarray = None
    y_test: np.ndarray = None
    image_shape: tuple = None
    binary: bool = False
    factors_train: np.ndarray = None   # the known generative factors, where there are some
    factors_valid: np.ndarray = None
    factor_names: tuple = None

    def __post_init__(self):
        for split in ("train", "valid", "test"):
            x, y = getattr(self, split), getattr(self, "y_" + split)
            if x is not None and y is not None and len(y) != len(x):
                raise ValueError(f"dataset {self.name}: {len(y)} labels for {len(x)} {split} examples")

    @property
    def x_dim(self):
        return self.train.shape[1]

    def split(self, name):
        if name not in ("train", "valid", "test"):
            raise ValueError(f"split must be train, valid or test, got {name!r}")
        x, y = getattr(self, name), getattr(self, "y_" + name)
        if x is None:
            raise ValueError(f"dataset {self.name} has no {name} split")
        return x, y


def _cut(name, total, valid=0.1):
    """How many of ``total`` examples train, the rest validating; both must be some."""
    n = int(total * (1 - valid))
    if n < 1 or n == total:
        need = next(m for m in range(2, 100) if 0 < int(m * (1 - valid)) < m)
        raise ValueError(f"dataset {name}: {total} example{'s' * (total != 1)}; at least {need} are needed, "
                         f"{1 - valid:.0%} to train on and the rest to validate")
    return n


def _split(name, x, y=None, valid=0.1, **kwargs):
    if y is not None and len(y) != len(x):
        raise ValueError(f"dataset {name}: {len(y)} labels for {len(x)} examples")
    n = _cut(name, len(x), valid)
    return Dataset(name, x[:n], x[n:], None, None if y is None else y[:n], None if y is None else y[n:], **kwargs)


TOYS = {
    "ring": lambda n, seed: (toy.ring(n, seed), None),
    "bump": lambda n, seed: toy.gaussian_bump(n, seed=seed),
    "swiss-roll": lambda n, seed: toy.swiss_roll(n, seed=seed),
    "mixture": lambda n, seed: toy.mixture(n, seed=seed),
    "pinwheel": lambda n, seed: toy.pinwheel(n, seed=seed),
}
FILE_SETS = ("binarized-mnist", "mnist", "fashion-mnist")
NAMES = tuple(TOYS) + ("sprites",) + FILE_SETS


def data_dir(explicit=None):
    return explicit or os.environ.get("MINIVAE_DATA") or "data"


@functools.lru_cache(maxsize=2)
def _sprites(n, seed):
    """Drawn once per (n, seed) in a process (10,000 take about 1.5 s); callers get copies."""
    return sprites(n, seed)


def load_dataset(name_or_path, data_dir_=None, n=10000, seed=0, limit=None):
    """A Dataset; ``n`` and ``seed`` size and seed the generated ones. ``limit``: of a
    NumPy file, each split's first ``limit`` examples only, and of an .npy only those are
    read from disk (what ``eval --limit`` uses)."""
    if name_or_path in TOYS:
        x, y = TOYS[name_or_path](n, seed)
        return _split(name_or_path, x, y)
    if name_or_path == "sprites":
        x, factors = (a.copy() for a in _sprites(n, seed))
        ds = _split("sprites", x, factors[:, 0].astype(np.int64), image_shape=(28, 28), binary=True)
        ds.factors_train, ds.factors_valid = factors[:len(ds.train)], factors[len(ds.train):]
        ds.factor_names = FACTORS
        return ds
    folder = data_dir(data_dir_)
    if name_or_path == "binarized-mnist":
        return _binarized_mnist(folder)
    if name_or_path in ("mnist", "fashion-mnist"):
        return _idx_set(name_or_path, folder)
    if os.path.isdir(name_or_path):
        raise ValueError(f"{name_or_path} is a folder; --data names a data file or a dataset "
                         f"({', '.join(NAMES)})")
    if os.path.splitext(name_or_path)[1] or os.sep in name_or_path:
        return _from_file(name_or_path, limit)
    raise ValueError(f"unknown dataset {name_or_path!r}: give a file path or one of {', '.join(NAMES)}")


def _binarized_mnist(folder):
    npz = os.path.join(folder, "binarized_mnist.npz")
    if files.exists(npz):
        a = files.read_arrays(npz)
        missing = {"train", "valid"} - set(a)
        if missing:
            raise ValueError(f"{npz}: lacks the arrays {sorted(missing)}")
        split = lambda k: a[k].astype(np.float32) if k in a else None
        return Dataset("binarized-mnist", split("train"), split("valid"), split("test"),
                       image_shape=(28, 28), binary=True)
    amat = {k: os.path.join(folder, f"binarized_mnist_{k}.amat") for k in ("train", "valid", "test")}
    if files.exists(amat["train"]) and files.exists(amat["valid"]):
        return Dataset("binarized-mnist", files.read_amat(amat["train"]), files.read_amat(amat["valid"]),
                       files.read_amat(amat["test"]) if files.exists(amat["test"]) else None,
                       image_shape=(28, 28), binary=True)
    raise ValueError(f"binarized-mnist: neither {npz} nor binarized_mnist_{{train,valid}}.amat in {folder} "
                     "(set --data-dir or MINIVAE_DATA)")


def _idx_set(name, folder):
    sub = os.path.join(folder, name) if os.path.isdir(os.path.join(folder, name)) else folder

    def find(stem):
        for candidate in (stem, stem + ".gz"):
            if files.exists(os.path.join(sub, candidate)):
                return os.path.join(sub, candidate)
        return None

    train_x, train_y = find("train-images-idx3-ubyte"), find("train-labels-idx1-ubyte")
    test_x, test_y = find("t10k-images-idx3-ubyte"), find("t10k-labels-idx1-ubyte")
    if train_x and train_y:
        x = files.read_idx(train_x).reshape(-1, 784).astype(np.float32) / 255
        y = files.read_idx(train_y).astype(np.int64)
        ds = _split(name, x, y, valid=1 / 6, image_shape=(28, 28))
        if test_x and test_y:
            ds.test = files.read_idx(test_x).reshape(-1, 784).astype(np.float32) / 255
            ds.y_test = files.read_idx(test_y).astype(np.int64)
        return ds
    gray = os.path.join(folder, "mnist_test_gray.npz")
    if name == "mnist" and files.exists(gray):   # the labeled test set alone: split it
        a = files.read_arrays(gray)
        return _split(name, a["images"].reshape(-1, 784).astype(np.float32) / 255,
                      a["labels"].astype(np.int64), valid=0.2, image_shape=(28, 28))
    raise ValueError(f"{name}: no train-images-idx3-ubyte[.gz] in {sub} (set --data-dir or MINIVAE_DATA)")


# a file's labels for each split: the first of these names it holds
LABELS = {"train": ("y_train", "labels", "y"), "valid": ("y_valid", "labels_valid"), "test": ("y_test", "labels_test")}


def _from_file(path, limit=None):
    if not files.exists(path):
        raise ValueError(f"{path}: no such file")
    if path.endswith(".amat"):
        x = files.read_amat(path)
        return _split(os.path.basename(path), x, binary=True, image_shape=_image_shape(x.shape))
    if path.endswith((".idx", "-ubyte", "-ubyte.gz")):
        x = files.read_idx(path)
        return _split(os.path.basename(path), x.reshape(len(x), -1).astype(np.float32) / 255,
                      image_shape=_image_shape(x.shape))
    a = files.read_arrays(path, memory_map=True)   # an .npy: only the rows used are read
    key = next((k for k in ("train", "x", "images", "data") if k in a), None)
    if key is None:
        raise ValueError(f"{path}: holds {sorted(a)}, none of train, x, images, data")
    shape, name = _image_shape(a[key].shape), os.path.basename(path)
    for split, array in a.items():
        if split in ("train", "valid", "test", key) and (array.ndim == 0 or len(array) == 0):
            raise ValueError(f"{path}: {split} holds no examples (shape {array.shape})")
    if a[key].ndim == 1:   # one-feature examples, or one example saved flat?
        warnings.warn(f"{path}: {key} is one vector of {len(a[key])} values, read as {len(a[key])} examples of one "
                      f"feature; save it with shape (1, {len(a[key])}) if it is one example", UserWarning, stacklevel=3)
    if key == "train" and "valid" in a:   # the file's own splits, each read as train is
        raw = {split: a[split] for split in ("train", "valid", "test") if split in a}
        labels = {split: _labels(path, a, split, len(v)) for split, v in raw.items()}
    else:   # one array: its last tenth validates, as _split cuts it
        whole = a[key]
        y, cut = _labels(path, a, "train", len(whole)), _cut(name, len(whole))
        raw = {"train": whole[:cut], "valid": whole[cut:]}
        labels = {"train": None if y is None else y[:cut], "valid": None if y is None else y[cut:]}
    if limit:
        raw = {split: v[:limit] for split, v in raw.items()}
        labels = {split: None if v is None else v[:limit] for split, v in labels.items()}
    x = _examples(path, key, raw["train"])
    splits = {"train": x, **{split: _examples(path, split if key == "train" else key, raw[split], x.shape[1])
                             for split in ("valid", "test") if split in raw}}
    return Dataset(name, splits["train"], splits["valid"], splits.get("test"),
                   **{f"y_{split}": labels[split] for split in splits}, image_shape=shape, binary=_binary(x))


def _image_shape(shape):
    """(height, width) of images stored as (n, height, width), or as (n, d) with d a square
    of at least 8 x 8 (MNIST's 784); None for other data."""
    if len(shape) == 3 and min(shape[1:]) >= 2:
        return tuple(int(v) for v in shape[1:])
    side = int(round(np.sqrt(shape[1]))) if len(shape) == 2 else 0
    return (side, side) if side >= 8 and side * side == shape[1] else None


def _labels(path, a, split, n):
    """The split's labels (LABELS), checked: one per example, integers (or None)."""
    key = next((k for k in LABELS[split] if k in a), None)
    if key is None:
        return None
    y = a[key]
    if y.shape != (n,):
        raise ValueError(f"{path}: {key} has shape {y.shape}; the {split} split has {n} examples, one label each")
    if y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all():
        y = y.astype(np.int64)
    if y.dtype.kind not in "iub":
        raise ValueError(f"{path}: {key} holds {y.dtype} values; labels are integers")
    return y.astype(np.int64)


def _examples(path, key, a, features=None):
    """The array as float32 examples, one per row, grey levels stored as bytes scaled to
    [0, 1]; refused where it holds no examples, no real numbers, NaN or infinite values,
    values so large their squares overflow, or other ``features`` than the training
    split's."""
    if a.dtype.kind not in "biuf":
        kind = "complex numbers" if a.dtype.kind == "c" else f"values of dtype {a.dtype}"
        raise ValueError(f"{path}: {key} holds {kind}; minivae trains on real numbers")
    if a.ndim == 0 or len(a) == 0:
        raise ValueError(f"{path}: {key} holds no examples (shape {a.shape})")
    if a.size == 0:
        raise ValueError(f"{path}: {key} has no features (shape {a.shape})")
    x = np.array(a.reshape(len(a), -1), dtype=np.float32)   # a copy in memory, of a mapped file's rows too
    if features is not None and x.shape[1] != features:
        raise ValueError(f"{path}: {key} has {x.shape[1]} features per example, train has {features}")
    if not np.isfinite(x).all():
        raise ValueError(f"{path}: {key} holds NaN or infinite values")
    largest = float(np.abs(x).max())
    if largest > np.sqrt(np.finfo(np.float32).max / x.shape[1]):
        raise ValueError(f"{path}: {key} holds values as large as {largest:.3g}, whose squares summed over "
                         f"{x.shape[1]} features overflow float32; rescale the data")
    return x / 255 if a.dtype == np.uint8 and largest > 1.0 else x


def _binary(x):
    """Every value 0 or 1 (all of them: a file can start binary and go on in grey levels)."""
    return bool(((x == 0) | (x == 1)).all())
