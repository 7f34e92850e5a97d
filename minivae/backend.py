"""The backend: which array module holds the data, where it lives, and random numbers.

The engine never names NumPy or CuPy directly; it asks this module. ``cpu`` arrays are
NumPy arrays; ``cuda`` arrays are CuPy arrays, available when CuPy imports and sees a GPU.
"""
import contextlib
import os

import numpy as np

try:
    import cupy as _cupy
    _cupy.cuda.runtime.getDeviceCount()
except Exception:  # no CuPy, or no GPU or driver behind it
    _cupy = None

DEVICES = ("cpu", "cuda")
DEFAULT_DTYPE = np.float32


def cuda_available():
    return _cupy is not None


def array_module(device):
    """NumPy for ``"cpu"``, CuPy for ``"cuda"``."""
    if device == "cpu":
        return np
    if device == "cuda":
        if _cupy is None:
            raise ValueError("device 'cuda' needs CuPy and a GPU; neither was found")
        return _cupy
    raise ValueError(f"unknown device {device!r}; expected one of {DEVICES}")


def library(device, gemm=False):
    """The array library that computes on ``device``, and that of its matrix products, for a
    profile."""
    return {"cpu": "NumPy", "cuda": "CuPy"}[device] + ({"cpu": " + BLAS", "cuda": " + cuBLAS"}[device] if gemm else "")


def device_of(array):
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return "cuda"
    return "cpu"


def as_array(value):
    """An op's result as an array of its own device: NumPy's reductions return scalars."""
    if isinstance(value, np.ndarray) or (_cupy is not None and isinstance(value, _cupy.ndarray)):
        return value
    return np.asarray(value)


def owns_data(array):
    """Whether ``array`` is a writable array with memory of its own (not a view)."""
    return array.base is None and getattr(array.flags, "writeable", True)


def address(array):
    """The device or host address of an array's first element."""
    if _cupy is not None and isinstance(array, _cupy.ndarray) and hasattr(array.data, "ptr"):
        return array.data.ptr
    return array.__array_interface__["data"][0]


def joined(parts, axis):
    """The parts as one C-contiguous array, without a copy, where they already lie side by
    side in order along ``axis`` in one allocation (views of one array, as the fused
    reparameterization writes its two gradients); else None."""
    first = parts[0]
    axis = axis % first.ndim
    if any(p.base is None or p.base is not first.base or p.dtype != first.dtype or p.strides != first.strides
           or p.shape[:axis] + p.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:] for p in parts):
        return None
    offset = address(first)
    for p in parts:
        if address(p) != offset:
            return None
        offset += p.shape[axis] * p.strides[axis]
    shape = first.shape[:axis] + (sum(p.shape[axis] for p in parts),) + first.shape[axis + 1:]
    contiguous = tuple(int(np.prod(shape[i + 1:])) * first.itemsize for i in range(len(shape)))
    if first.strides != contiguous:
        return None
    if _cupy is not None and isinstance(first, _cupy.ndarray):
        return _cupy.lib.stride_tricks.as_strided(first, shape, first.strides)
    return np.lib.stride_tricks.as_strided(first, shape, first.strides, subok=True)


def to_device(array, device):
    """The same values on ``device``; no copy when they are already there."""
    if device_of(array) == device:
        return array
    if device == "cpu":
        return _cupy.asnumpy(array)
    return array_module(device).asarray(array)


def available_memory(device="cpu"):
    """Bytes a new allocation on ``device`` can have without the machine swapping or the GPU
    running out: MemAvailable on Linux (else the free pages), the GPU's free memory plus
    what CuPy's pool holds unused. None where it cannot be told."""
    if device == "cuda":
        free, _ = array_module("cuda").cuda.Device().mem_info
        pool = _cupy.get_default_memory_pool()
        return int(free + pool.total_bytes() - pool.used_bytes())
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def tune_malloc(mmap_threshold=64 << 20, trim_threshold=256 << 20):
    """Let glibc reuse freed large blocks instead of returning them to the system.

    A training step allocates and frees the same large temporaries every time. By default
    glibc serves each from fresh mmap'd pages, whose first touch page-faults: at batch 1024
    that cost the VAE step about a quarter of its time (minivae/benchmarks/vae_step.py). Raising both
    thresholds (together; the trim threshold alone makes it worse) keeps that memory in
    the heap. This is process-wide, so a library never calls it on import: the ``minivae``
    command and the benchmarks do, and applications may. Returns the settings applied, or
    None where the C library is not glibc.
    """
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if not (mallopt(M_MMAP_THRESHOLD, mmap_threshold) and mallopt(M_TRIM_THRESHOLD, trim_threshold)):
        return None
    return {"M_MMAP_THRESHOLD": mmap_threshold, "M_TRIM_THRESHOLD": trim_threshold}


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices summed (unbuffered add)."""
    if device_of(target) == "cuda":
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)


class Generator:
    """A seeded random generator for one device: normal, uniform, bernoulli.

    Draws come out in the requested dtype (float32 by default), so sampling never
    promotes a float32 computation to float64.
    """

    def __init__(self, seed=None, device="cpu"):
        self.device = device
        self.seed(seed)

    def seed(self, seed):
        xp = array_module(self.device)
        self._rng = xp.random.default_rng(seed)

    def normal(self, shape, mean=0.0, std=1.0, dtype=DEFAULT_DTYPE):
        z = self._rng.standard_normal(_shape(shape), dtype=dtype)
        return z if (mean, std) == (0.0, 1.0) else z * std + mean  # Python scalars keep the dtype

    def uniform(self, shape, low=0.0, high=1.0, dtype=DEFAULT_DTYPE):
        u = self._rng.random(_shape(shape), dtype=dtype)
        return u if (low, high) == (0.0, 1.0) else u * (high - low) + low

    def bernoulli(self, p, shape=None, dtype=DEFAULT_DTYPE):
        """1 with probability ``p`` (a number or an array broadcast to ``shape``), else 0."""
        shape = np.shape(p) if shape is None else _shape(shape)
        return (self._rng.random(shape, dtype=np.float64) < p).astype(dtype)

    def integers(self, high, shape=None):
        return self._rng.integers(0, high, size=shape)

    def permutation(self, n):
        return self._rng.permutation(n)

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


_default = {}


def default_generator(device="cpu"):
    """The generator used when none is passed (initializers, dropout, sampling)."""
    if device not in _default:
        _default[device] = Generator(None, device)
    return _default[device]


@contextlib.contextmanager
def default_generator_replaced(generator, device="cpu"):
    """``generator`` as the default generator of ``device`` within the block (the trainer's
    per-rank view of the draws: minivae.distributed.ShardedGenerator)."""
    before = default_generator(device)
    _default[device] = generator
    try:
        yield generator
    finally:
        _default[device] = before


def manual_seed(seed):
    """Seed the default generator of every device, for reproducible runs. Generators are
    reseeded in place, so models that hold one see the new seed too."""
    for device in DEVICES:
        if device == "cpu" or cuda_available():
            if device in _default:
                _default[device].seed(seed)
            else:
                _default[device] = Generator(seed, device)
