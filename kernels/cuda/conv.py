"""The convolution ops' three products (minivae/ops/conv.py) on the GPU, NCHW.

im2col (conv.cu) lowers the image to one column matrix per group, (C/groups kh kw,
N oh ow); each group's product is a GEMM, by the library products.py chooses, as for the
dense layer; col2im is a gather, so the adjoint needs no atomics. Same signatures as
kernels/cpu/conv.py.

    forward      y  = W_g @ cols(x)_g                      (G, O/G, N L)
    data_grad    x' = col2im(W_g^T @ gy_g)
    weight_grad  W' = gy_g @ cols(x)_g^T                   (G, O/G, K)
"""
import cupy as cp
import numpy as np

from .module import THREADS, blocks, contiguous, kernel
from .products import product as _product


def _geometry(kernel_size, stride, padding, dilation, out):
    return tuple(np.int32(v) for v in (*kernel_size, *stride, *padding, *dilation, *out))


def lower(x, kernel_size, stride, padding, dilation, out, groups):
    """cols(x): (G, C/G kh kw, N oh ow)."""
    n, c, h, w = x.shape
    x = contiguous(x, x.dtype)
    cols = cp.empty((c * kernel_size[0] * kernel_size[1], n * out[0] * out[1]), x.dtype)
    kernel("im2col", x.dtype)(blocks(cols.size), (THREADS,),
                              (x, cols, np.int32(n), np.int32(c), np.int32(h), np.int32(w),
                               *_geometry(kernel_size, stride, padding, dilation, out)))
    return cols.reshape(groups, -1, cols.shape[1])


def _by_group(y, groups):
    """NCHW y as (G, O/G, N oh ow)."""
    n, o, oh, ow = y.shape
    return cp.ascontiguousarray(y.reshape(n, groups, o // groups, oh * ow).transpose(1, 2, 0, 3)).reshape(
        groups, o // groups, -1)


def forward(x, w, kernel_size, stride, padding, dilation, out, groups, rows=None):
    """(y, cols): conv(x, W), and the lowered x (kept by the op for the weight gradient)."""
    cols = lower(x, kernel_size, stride, padding, dilation, out, groups) if rows is None else rows
    wg = contiguous(w, x.dtype).reshape(groups, w.shape[0] // groups, -1)
    y = cp.stack([_product(wg[g], cols[g]) for g in range(groups)])                    # (G, O/G, N L)
    n = x.shape[0]
    return cp.ascontiguousarray(y.reshape(groups, -1, n, out[0] * out[1]).transpose(2, 0, 1, 3)).reshape(
        n, w.shape[0], *out), cols


def data_grad(gy, w, kernel_size, stride, padding, dilation, shape, groups):
    """convT(gy, W) into an image of ``shape`` (N, C, H, W): the adjoint of forward in x."""
    n, c, h, width = shape
    wg = contiguous(w, gy.dtype).reshape(groups, w.shape[0] // groups, -1)
    gyg = _by_group(gy, groups)
    cols = cp.concatenate([_product(wg[g], gyg[g], trans_a=True) for g in range(groups)])   # (C kh kw, N L)
    x = cp.empty(shape, gy.dtype)
    kernel("col2im", gy.dtype)(
        blocks(x.size), (THREADS,),
        (cols, x, np.int32(n), np.int32(c), np.int32(h), np.int32(width),
         *_geometry(kernel_size, stride, padding, dilation, gy.shape[2:])))
    return x


def weight_grad(x, gy, kernel_size, stride, padding, dilation, groups, rows=None):
    """wgrad(x, gy): the adjoint of forward in W, shaped (O, C/G, kh, kw)."""
    cols = lower(x, kernel_size, stride, padding, dilation, gy.shape[2:], groups) if rows is None else rows
    gyg = _by_group(gy, groups)
    gw = cp.stack([_product(gyg[g], cols[g], trans_b=True) for g in range(groups)])   # (G, O/G, K)
    return gw.reshape(gy.shape[1], x.shape[1] // groups, *kernel_size)
