"""Philox4x32-10 on the CPU, one loop over blocks: the words of a draw, and its normals with
Box-Muller fused in (minivae/philox.py has the algorithm and the NumPy reference; these give
the same words bit for bit, and the same normals up to the last rounding of log and cos).
The reference builds every round's arrays in NumPy, about 15 times slower than PCG64: too
slow for the noise of every training step, which these draw."""
import numpy as np
from numba import njit

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
MASK, HIGH = np.uint64(0xFFFFFFFF), np.uint64(32)


@njit(cache=True, inline="always")
def _block(b, off_lo, off_hi, k0, k1, out, at):
    """Words 4b .. 4b + 3 of the draw into out[at:at + 4] (as far as out goes)."""
    c0, c1, c2, c3 = np.uint64(b) & MASK, np.uint64(b) >> HIGH, off_lo, off_hi
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> HIGH) ^ c1 ^ k0, p1 & MASK, (p0 >> HIGH) ^ c3 ^ k1, p0 & MASK
    n = out.shape[0]
    if at < n:
        out[at] = c0
    if at + 1 < n:
        out[at + 1] = c1
    if at + 2 < n:
        out[at + 2] = c2
    if at + 3 < n:
        out[at + 3] = c3


@njit(cache=True)
def _words(out, key, offset):
    k0, k1 = np.uint64(key) & MASK, np.uint64(key) >> HIGH
    off_lo, off_hi = np.uint64(offset) & MASK, np.uint64(offset) >> HIGH
    for b in range((out.shape[0] + 3) // 4):
        _block(b, off_lo, off_hi, k0, k1, out, 4 * b)


@njit(cache=True)
def _normal(out, words):
    """Normals 2i and 2i + 1 from words 2i and 2i + 1: r cos(2 pi u2), r sin(2 pi u2)."""
    n = out.shape[0]
    for i in range((n + 1) // 2):
        u1 = ((np.uint64(words[2 * i]) >> np.uint64(9)) + 0.5) * 2.0 ** -23
        u2 = ((np.uint64(words[2 * i + 1]) >> np.uint64(9)) + 0.5) * 2.0 ** -23
        r, angle = np.sqrt(-2.0 * np.log(u1)), 2.0 * np.pi * u2
        out[2 * i] = r * np.cos(angle)
        if 2 * i + 1 < n:
            out[2 * i + 1] = r * np.sin(angle)


def words(n, key, offset):
    """The n uint32 words of draw ``offset`` under ``key`` (both below 2^64)."""
    out = np.empty(n, np.uint32)   # the rounds work in 64 bits; each word fits 32
    _words(out, np.uint64(key), np.uint64(offset))
    return out


def normal(n, key, offset, dtype):
    """n normals of draw ``offset`` under ``key``, in ``dtype``."""
    w = np.empty(n + n % 2, np.uint32)
    _words(w, np.uint64(key), np.uint64(offset))
    out = np.empty(n, np.float64)
    _normal(out, w)
    return out.astype(dtype)
