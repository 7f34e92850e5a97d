"""Our own GEMM on the GPU with the dense layer's epilogue (gemm.cu: gemm_bias_act), for the
steps that must be captured in a CUDA graph, where CuPy refuses cuBLAS. Transposed operands
are read in place (kernel variants), never copied. fp32 (or fp64) arithmetic, or, opt-in
for float32, TF32 tensor cores (gemm.cu states the error bound: about 2^-10 relative to
|op(A)| |op(B)|).

The fp32 kernel comes in three tile sizes (``tile``): big tiles reuse each loaded element
more, small ones give a small product enough blocks. Few blocks over a long K (a weight gradient, K = the batch) would leave most of the
GPU idle, each block looping over all of K: ``split_k`` then cuts K into slices, one per
grid.z, whose partial tiles a second kernel adds in a fixed order (no atomics)."""
import functools

import cupy as cp
import numpy as np

from ..activations import CODES
from .module import (CTYPES, GEMM_TILES as TILES, GEMM_VARIANTS, THREADS, blocks, contiguous, destination, gemm_name,
                     kernel, _module)

TF32_TILE, TF32_THREADS = (128, 128), 128   # gemm.cu: four warps of 64 x 64
K_STEP = 16          # a slice's K is a multiple of both kernels' step (8 and 16)
WARPS_PER_SM = 16    # what split K aims for: about 4 blocks of 4 warps on each multiprocessor


def tile(m, n, dtype, sms):
    """(BM, BN, threads) of the fp32 kernel for an m x n output: the largest tile whose
    blocks still cover every multiprocessor; 64 x 64 when none does, and for float64."""
    choices = TILES if np.dtype(dtype) == np.float32 else TILES[-1:]
    bm, bn = next((t for t in choices if -(-m // t[0]) * -(-n // t[1]) >= sms), TILES[-1])
    return bm, bn, bm * bn // 64


def split_k(tiles, warps, k, sms):
    """(slices, K per slice) for ``tiles`` blocks of ``warps`` warps over inner size k on a
    GPU of ``sms`` multiprocessors: one slice when the blocks cover every multiprocessor
    (a forward product: the partial sums' extra traffic would not pay) or K is short; else
    (a weight gradient, K = the batch) enough slices of at least 256 (a multiple of K_STEP)
    to give every multiprocessor WARPS_PER_SM warps. So slices x tiles x warps stays under
    WARPS_PER_SM x sms + tiles x warps, and with it the workspace, slices x m x n."""
    target = WARPS_PER_SM * sms
    if tiles >= sms or tiles * warps >= target or k < 512:
        return 1, max(k, 1)
    slices = min(-(-target // (tiles * warps)), k // 256)
    chunk = -(-(-(-k // slices)) // K_STEP) * K_STEP
    return -(-k // chunk), chunk


@functools.lru_cache(maxsize=None)
def _device(index):
    """(multiprocessors, compute capability as an int, e.g. 90) of a GPU."""
    device = cp.cuda.Device(index)
    return device.attributes["MultiProcessorCount"], int(device.compute_capability)


def gemm(a, b, trans_a=False, trans_b=False, bias=None, activation="identity", slope=0.01, tf32=False, out=None):
    """act(op(a) @ op(b) + bias), op = transpose where asked; a, b 2-D CuPy arrays.
    ``tf32``: float32 inputs rounded to TF32 and multiplied on tensor cores (sm_80+).
    ``out``: where to write it (C-contiguous, of the result's shape and dtype)."""
    if (trans_a, trans_b) not in GEMM_VARIANTS:
        raise ValueError("gemm: op(A)^T op(B)^T is not a variant; transpose the product instead")
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = contiguous(a, dtype), contiguous(b, dtype)
    m, k = a.shape[::-1] if trans_a else a.shape
    k2, n = b.shape[::-1] if trans_b else b.shape
    if k != k2:
        raise ValueError(f"gemm: inner dimensions differ: {a.shape}{'^T' * trans_a} @ {b.shape}{'^T' * trans_b}")
    out = destination(out, (m, n), dtype, "gemm")
    if m == 0 or n == 0:   # nothing to launch (a zero-size grid is an error)
        return out
    sms, arch = _device(cp.cuda.Device().id)
    tf32 = tf32 and dtype == np.float32
    if tf32 and arch < 80:
        raise ValueError(f"gemm: TF32 needs a GPU of compute capability 8.0 or later; this one is {arch / 10:.1f}")
    has_bias = bias is not None
    bias = contiguous(bias, dtype) if has_bias else out   # not read without has_bias
    if tf32:
        (bm, bn), threads = TF32_TILE, TF32_THREADS
    else:
        bm, bn, threads = tile(m, n, dtype, sms)
    tiles = -(-m // bm) * -(-n // bn)
    slices, chunk = split_k(tiles, threads // 32, k, sms)
    target = out if slices == 1 else cp.empty((slices, m, n), dtype)
    act, slope = np.int32(CODES[activation]), dtype.type(slope)
    name = gemm_name("tf32", trans_a, trans_b) if tf32 else gemm_name(CTYPES[np.dtype(dtype)], trans_a, trans_b, bm, bn)
    _module().get_function(name)(
        (tiles, 1, slices), (threads,),   # every tile on x (gemm.cu)
        (a, b, bias, target, np.int32(m), np.int32(n), np.int32(k), np.int32(a.shape[1]), np.int32(b.shape[1]),
         np.int32(chunk), np.int32(has_bias), act, slope))
    if slices > 1:
        kernel("gemm_split_k_sum", dtype)(blocks(m * n), (THREADS,),
                                          (target, bias, out, np.int64(m * n), np.int32(n), np.int32(slices),
                                           np.int32(has_bias), act, slope))
    return out
