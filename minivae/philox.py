"""A counter-based random generator: Philox4x32-10 (Salmon et al., "Parallel random numbers:
as easy as 1, 2, 3", SC11), the generator of cuRAND and of PyTorch's CUDA ops.

A counter-based generator is a pure function of (counter, key): draw number ``offset`` of a
generator with key ``seed`` is

    block b of the draw = philox(counter = (b, 0, offset_lo, offset_hi), key = seed),

four 32-bit words a block. Nothing is carried from one draw to the next but the offset, an
integer that a CUDA graph can keep in device memory and bump inside the graph, so that
every replay draws fresh noise (cuRAND's stateful generators cannot be captured). This file
is the reference, vectorized over blocks with the array module of the data (NumPy or CuPy);
``kernels/cuda/philox.cu`` has the same algorithm as one kernel, and the tests hold the two
to the same bits.

Uniforms are the top 23 bits of a word, (w >> 9 + 1/2) / 2^23: exact in float32, in
(0, 1), never 0 or 1;
normals come in pairs from two uniforms by Box-Muller, r = sqrt(-2 log u1),
(r cos 2 pi u2, r sin 2 pi u2): word 2i and 2i + 1 give normals 2i and 2i + 1.
"""
import contextlib

import numpy as np

from . import backend
from .kernels.registry import kernel_for

# NumPy scalars, not Python ints: under NumPy 1.x's value-based casting a 0-d uint64 array
# plus a Python int is a float64, which no bitwise operation takes.
M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)      # the multipliers
W0, W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)      # the key's increments (golden ratio, sqrt(3) - 1)
MASK, HIGH = np.uint64(0xFFFFFFFF), np.uint64(32)


def philox4x32(counter, key, rounds=10, xp=np):
    """Philox4x32-``rounds`` of counters (n, 4) under keys (2,) or (n, 2), as uint32 (n, 4)."""
    c = [xp.asarray(counter[:, i], dtype=xp.uint64) for i in range(4)]
    k = [xp.asarray(key[..., i], dtype=xp.uint64) for i in range(2)]
    for r in range(rounds):
        if r:
            k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
        p0, p1 = M0 * c[0], M1 * c[2]      # 32 x 32 -> 64 bits: exact in uint64
        c = [(p1 >> HIGH) ^ c[1] ^ k[0], p1 & MASK, (p0 >> HIGH) ^ c[3] ^ k[1], p0 & MASK]
    return xp.stack(c, axis=1).astype(xp.uint32)


class _FromUniforms:
    """The draws made from uniforms, shared by the host and the device generator."""

    def bernoulli(self, p, shape=None, dtype=backend.DEFAULT_DTYPE):
        shape = np.shape(p) if shape is None else shape
        return (self.uniform(shape, dtype=np.float64) < p).astype(dtype)

    def integers(self, high, shape=None):
        u = self.uniform(1 if shape is None else shape, dtype=np.float64)
        out = (u * high).astype(np.int64)
        return out[0] if shape is None else out

    def permutation(self, n):
        return self.uniform(n, dtype=np.float64).argsort()


class Philox(_FromUniforms):
    """Draws of a counter-based generator on one device, with the interface of
    ``backend.Generator`` (normal, uniform, bernoulli, integers, permutation, seed,
    get_state/set_state), so a model can take one as its ``generator``. Each draw uses the
    next offset; ``offset`` may be set to replay or skip draws."""

    def __init__(self, seed=0, device="cpu", offset=0):
        self.device = device
        self.seed(seed)
        self.offset = int(offset)

    def seed(self, seed):
        """Start over: key ``seed``, offset 0."""
        if seed is None or not 0 <= int(seed) < 2 ** 64:
            raise ValueError(f"Philox: seed must be in [0, 2^64), got {seed}")
        self.key, self.offset = int(seed), 0

    def get_state(self):
        return {"key": self.key, "offset": self.offset}

    def set_state(self, state):
        self.key, self.offset = int(state["key"]), int(state["offset"])

    def _take_offset(self):
        """This draw's offset; the next draw takes the next."""
        self.offset += 1
        return self.offset - 1

    def words(self, n):
        """n uint32 words of the next draw."""
        fast = kernel_for(self.device, "philox_words")
        if fast is not None:
            return fast(n, self.key, self._take_offset())
        xp, offset = backend.array_module(self.device), self._take_offset()
        blocks = (n + 3) // 4
        counter = xp.zeros((blocks, 4), dtype=xp.uint64)
        counter[:, 0] = xp.arange(blocks, dtype=xp.uint64) & MASK
        counter[:, 1] = xp.arange(blocks, dtype=xp.uint64) >> HIGH
        counter[:, 2], counter[:, 3] = offset & 0xFFFFFFFF, offset >> 32     # Python ints
        key = xp.asarray([self.key & 0xFFFFFFFF, self.key >> 32], dtype=xp.uint64)
        return philox4x32(counter, key, xp=xp).reshape(-1)[:n]

    def uniform(self, shape, low=0.0, high=1.0, dtype=backend.DEFAULT_DTYPE):
        shape = _shape(shape)
        u = _uniform(self.words(int(np.prod(shape))), dtype).reshape(shape)
        return u if (low, high) == (0.0, 1.0) else u * (high - low) + low

    def normal(self, shape, mean=0.0, std=1.0, dtype=backend.DEFAULT_DTYPE):
        shape = _shape(shape)
        n = int(np.prod(shape))
        fast = kernel_for(self.device, "philox_normal")
        if fast is not None:
            z = fast(n, self.key, self._take_offset(), dtype).reshape(shape)
            return z if (mean, std) == (0.0, 1.0) else z * std + mean
        w = self.words(n + n % 2)
        u1, u2 = _uniform(w[0::2], np.float64), _uniform(w[1::2], np.float64)
        xp = backend.array_module(self.device)
        r, angle = xp.sqrt(-2.0 * xp.log(u1)), 2.0 * np.pi * u2
        z = xp.stack([r * xp.cos(angle), r * xp.sin(angle)], axis=1).reshape(-1)[:n]
        z = z.astype(dtype).reshape(shape)
        return z if (mean, std) == (0.0, 1.0) else z * std + mean


def _uniform(words, dtype):
    return (((words >> 9).astype(np.float64) + 0.5) * 2.0 ** -23).astype(dtype)


class DevicePhilox(_FromUniforms):
    """Philox draws made by CUDA kernels whose offset lives in device memory, so that a draw
    can be captured in a CUDA graph and each replay draws the next offset's numbers. The
    same draws, bit for bit up to the last float rounding, as ``Philox(seed, "cuda")``,
    with the interface of ``backend.Generator`` (everything stays on the device)."""

    def __init__(self, seed=0):
        self.device = "cuda"
        self.seed(seed)

    def seed(self, seed):
        if seed is None or not 0 <= int(seed) < 2 ** 64:
            raise ValueError(f"DevicePhilox: seed must be in [0, 2^64), got {seed}")
        xp = backend.array_module("cuda")
        self.key, self.offset = int(seed), xp.zeros(1, dtype=xp.uint64)

    def get_state(self):   # reads the offset back: not inside a capture
        return {"key": self.key, "offset": int(self.offset[0])}

    def set_state(self, state):
        self.key = int(state["key"])
        self.offset[0] = int(state["offset"])

    def normal(self, shape, mean=0.0, std=1.0, dtype=backend.DEFAULT_DTYPE):
        from .kernels.cuda.philox import normal
        z = normal(_shape(shape), self.key, self.offset, dtype)
        return z if (mean, std) == (0.0, 1.0) else z * std + mean

    def uniform(self, shape, low=0.0, high=1.0, dtype=backend.DEFAULT_DTYPE):
        from .kernels.cuda.philox import uniform
        u = uniform(_shape(shape), self.key, self.offset, dtype)
        return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def seeded(generator, seed, device):
    """What a seeded run (a fit, an L_k) draws a model's noise from: the generator the user
    gave the model, else a counter-based Philox keyed by ``seed``, whose draws are the same
    bits on the CPU and the GPU, so that a seed gives one result on either device."""
    if generator is not backend.default_generator(device):
        return generator
    return DevicePhilox(seed) if device == "cuda" else Philox(seed, device)


@contextlib.contextmanager
def drawing_from(model, generator):
    """``model`` draws its noise from ``generator`` within the block, and from its own after;
    a model that draws none (no ``generator``), or a generator of None, leaves it alone."""
    noise = getattr(model, "generator", None)
    if noise is None or generator is None:
        yield
        return
    model.generator = generator
    try:
        yield
    finally:
        model.generator = noise
