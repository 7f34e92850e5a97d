"""Reading data files: fixed-binarized MNIST (.amat text, or .npz with train/valid/test),
MNIST and Fashion-MNIST IDX files (gzipped or raw, magic numbers checked), and .npy/.npz
arrays. Anything that is not data (an HTML page, a Git LFS pointer, a truncated file) is
refused with a ValueError that names the file and what is wrong."""
import gzip
import os
import struct
import zipfile
import zlib

import numpy as np

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
             0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _head(path, n=256):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read(n)
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot be read ({e})") from None


def check_not_impostor(path):
    """Refuse an HTML error page or a Git LFS pointer saved in place of the data."""
    head = _head(path).lstrip().lower()
    if head.startswith(b"version https://git-lfs"):
        raise ValueError(f"{path}: is a Git LFS pointer, not the data (run 'git lfs pull')")
    if head.startswith((b"<!doctype html", b"<html")):
        raise ValueError(f"{path}: is an HTML page, not data (a failed download?)")


def read_idx(path):
    """An IDX array (the MNIST format): magic 0x00 0x00 type ndim, then big-endian sizes."""
    check_not_impostor(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot be read ({e})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: the IDX header claims {ndim} dimensions, but the file ends "
                         f"after {len(raw)} bytes")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(body) != expected:
        raise ValueError(f"{path}: truncated or padded IDX file: {len(body)} bytes of data, "
                         f"expected {expected} for shape {shape}")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def read_amat(path):
    """The canonical binarized-MNIST text format: one image a line, 784 values of 0/1."""
    check_not_impostor(path)
    try:
        x = np.loadtxt(path, dtype=np.float32, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{path}: not a .amat file of numbers ({e})") from None
    if x.shape[1] != 784 or not np.isin(x, (0.0, 1.0)).all():
        raise ValueError(f"{path}: expected lines of 784 values in {{0, 1}}, got shape {x.shape}")
    return x


def read_arrays(path, names=None, check=None, memory_map=False):
    """An .npz (as a dict of arrays) or .npy (as {'x': array}): only the arrays ``names``
    when given. Every array's shape and dtype is read from its header first
    (``array_headers``) and ``check(headers)`` may refuse them, and so is a file whose arrays
    would not fit in the free memory: all before any array is inflated (a small file of
    zeros can unpack to gigabytes). ``memory_map``: an .npy's array is mapped, read from
    disk only where it is used (an .npz's are compressed or zipped: read whole)."""
    headers = array_headers(path)
    if check is not None:
        check(headers)
    wanted = {k: v for k, v in headers.items() if names is None or k in names}
    needed = sum(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize for shape, dtype in wanted.values())
    from .. import backend
    free = backend.available_memory("cpu")
    if free is not None and needed > free and not (memory_map and path.endswith(".npy")):
        raise ValueError(f"{path}: its arrays would take {needed / 2 ** 30:.3g} GiB of memory, more than the "
                         f"{free / 2 ** 30:.3g} GiB free")
    try:
        # our own file handle: np.load leaves its own open when a zip archive is corrupt
        with open(path, "rb") as handle:
            if path.endswith(".npy"):
                return {"x": np.load(path, allow_pickle=False, mmap_mode="r") if memory_map
                        else np.load(handle, allow_pickle=False)}
            with np.load(handle, allow_pickle=False) as f:
                return {k: f[k] for k in f.files if k in wanted}
    except (OSError, ValueError, EOFError, RuntimeError, struct.error, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as e:
        raise ValueError(f"{path}: not a readable NumPy file ({e})") from None


def array_headers(path):
    """{name: (shape, dtype)} of the arrays in an .npz (or {'x': ...} of an .npy), read from
    each array's header without reading its data; a ValueError names a file that is not
    such an archive, or holds Python objects (which minivae never loads)."""
    check_not_impostor(path)
    if not _head(path).startswith((b"\x93NUMPY", b"PK\x03\x04", b"PK\x05\x06")):   # .npy, .npz (zip) magic
        raise ValueError(f"{path}: not a NumPy file (.npy or .npz)")
    try:
        if path.endswith(".npy"):
            with open(path, "rb") as f:
                headers = {"x": _array_header(f)}
        else:
            with zipfile.ZipFile(path) as archive:
                headers = {}
                for info in archive.infolist():
                    if not info.filename.endswith(".npy"):
                        raise ValueError(f"a member {info.filename!r} that is no array")
                    with archive.open(info) as f:
                        headers[info.filename[:-4]] = _array_header(f)
    except (OSError, ValueError, EOFError, RuntimeError, struct.error, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as e:   # RuntimeError: a flag bit flipped to "encrypted"
        raise ValueError(f"{path}: not a readable NumPy file ({e})") from None
    objects = sorted(name for name, (_, dtype) in headers.items() if dtype.hasobject)
    if objects:
        raise ValueError(f"{path}: {', '.join(objects)} hold Python objects, which minivae does not load")
    return headers


def _array_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"an .npy header of version {version}, which minivae does not read")
    return tuple(shape), np.dtype(dtype)


MAX_DEPTH = 32   # JSON or TOML nested deeper than this is no file minivae wrote or reads


def parse_nested(parse, text, what):
    """``parse(text)`` (json.loads, tomllib.loads) for a file that may be hostile: nesting
    deeper than MAX_DEPTH is refused with a ValueError naming ``what``, before the parser
    recurses out of the stack or a caller walks the result."""
    try:
        value = parse(text)
    except RecursionError:
        raise ValueError(f"{what}: nested too deeply to be read") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"{what}: nested more than {MAX_DEPTH} deep")
    return value


def _depth(value):
    """How deep lists and dicts nest in ``value``, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def binarize(x, seed=0):
    """Dynamic binarization: each pixel in [0, 1] becomes 1 with that probability."""
    x = np.asarray(x, dtype=np.float32)
    if x.max() > 1.0:
        x = x / 255.0
    return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)


def exists(path):
    return os.path.isfile(path)
