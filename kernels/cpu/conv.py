"""The convolution ops' three products (minivae/ops/conv.py) on the CPU, channels-last.

The reference lowers NCHW images to im2col columns (C kh kw, N oh ow): at MNIST sizes the
rows of an output map are 7 to 14 pixels, so every copy loop is a few elements long and
the lowering cost as much as the GEMMs (4 ms against 2.5 ms for 128 x 32 x 14 x 14 with a
4 x 4 kernel, stride 2, on the 2-core development machine). Here the image is read
channels-last (N, H, W, C), and the lowering writes rows, one per output pixel:
rows[g, (n, p, q), (i, j, c)] = x[n, s p + d i - pad, s q + d j - pad, g C/groups + c], so
that the inner copy runs over a pixel's channels, contiguous on both sides. The GEMMs then
produce channels-last outputs; they are returned as NCHW views of that memory (no copy),
NumPy's elementwise ops keep the layout, and the next layer reads them channels-last for
free. An input in another layout (a user's NCHW array) is staged one image at a time. Serial, like the other kernels: BLAS owns the cores (bench/threads.py).

    forward      y  = rows(x) @ W_k                        (G, N L, O/G)
    data_grad    x' = row2im(gy @ W_k^T)                    the adjoint of rows()
    weight_grad  W' = rows(x)^T @ gy                        (G, K, O/G), K = kh kw C/G
"""
import numpy as np
from numba import njit

from ..activations import CODES
from .dense import _act_grad_bias, _bias_act, column_sums


@njit(cache=True)
def _lower_image(img, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, rows):
    """Image n of the batch, channels-last (H, W, C), into its oh ow rows."""
    h, w, c_ = img.shape
    cg = c_ // groups
    zero = img.dtype.type(0)
    # Plain indexing, no views: making a view per pixel cost more than the copy (measured:
    # 0.34 against 0.16 ms for 128 x 64 x 7 x 7, 0.60 against 0.45 ms for 128 x 32 x 14 x 14).
    for p in range(oh):
        for q in range(ow):
            at = (n * oh + p) * ow + q
            for g in range(groups):
                for i in range(kh):
                    r = p * sh + i * dh - ph
                    for j in range(kw):
                        s = q * sw + j * dw - pw
                        base = (i * kw + j) * cg
                        if 0 <= r < h and 0 <= s < w:
                            for c in range(cg):
                                rows[g, at, base + c] = img[r, s, g * cg + c]
                        else:
                            for c in range(cg):
                                rows[g, at, base + c] = zero


@njit(cache=True)
def _im2row(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, rows):
    """x channels-last (N, H, W, C)."""
    for n in range(x.shape[0]):
        _lower_image(x[n], n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, rows)


@njit(cache=True)
def _im2row_staged(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, rows):
    """x (N, C, H, W) in any other layout (a user's NCHW array): each image is copied
    channels-last into a buffer that stays in cache, then lowered (measured, caches cold:
    1.05 against 1.97 ms for a whole-batch layout copy and then the lowering, 128 x 32 x
    14 x 14; 0.63 against 0.91 ms for 128 x 64 x 7 x 7)."""
    n_, c_, h, w = x.shape
    img = np.empty((h, w, c_), x.dtype)
    for n in range(n_):
        for c in range(c_):
            for r in range(h):
                for s in range(w):
                    img[r, s, c] = x[n, c, r, s]
        _lower_image(img, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, rows)


@njit(cache=True)
def _row2im(rows, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups, x):
    n_, h, w, c_ = x.shape
    cg = c_ // groups
    for n in range(n_):
        for p in range(oh):
            for q in range(ow):
                at = (n * oh + p) * ow + q
                for g in range(groups):
                    for i in range(kh):
                        r = p * sh + i * dh - ph
                        for j in range(kw):
                            s = q * sw + j * dw - pw
                            if 0 <= r < h and 0 <= s < w:
                                base = (i * kw + j) * cg
                                for c in range(cg):
                                    x[n, r, s, g * cg + c] += rows[g, at, base + c]


# One channel (the first layer on grey images, the last of the decoder): a channel loop of
# length one cost more than the copy itself, so the image is zero-padded once (no bounds
# tests) and each tap copied alone (measured: 0.39 against 1.02 ms for 128 x 1 x 28 x 28,
# 4 x 4 kernel, stride 2, padding 1).

@njit(cache=True)
def _im2row_1(xp, kh, kw, sh, sw, dh, dw, oh, ow, rows):
    for n in range(xp.shape[0]):
        for p in range(oh):
            for q in range(ow):
                at = (n * oh + p) * ow + q
                for i in range(kh):
                    for j in range(kw):
                        rows[at, i * kw + j] = xp[n, p * sh + i * dh, q * sw + j * dw]


@njit(cache=True)
def _row2im_1(rows, kh, kw, sh, sw, dh, dw, oh, ow, xp):
    for n in range(xp.shape[0]):
        for p in range(oh):
            for q in range(ow):
                at = (n * oh + p) * ow + q
                for i in range(kh):
                    for j in range(kw):
                        xp[n, p * sh + i * dh, q * sw + j * dw] += rows[at, i * kw + j]


def _is_channels_last(a):
    return a.transpose(0, 2, 3, 1).flags.c_contiguous


def _channels_last(a):
    """(N, C, H, W) as a C-contiguous (N, H, W, C) array: free when a is such memory already."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def _weight_rows(w, groups):
    """W (O, C/G, kh, kw) as (G, kh kw C/G, O/G), rows ordered as the lowering's (i, j, c)."""
    o, cg, kh, kw = w.shape
    return w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg, o // groups)


def _by_group(y, groups):
    """NCHW y as (G, N oh ow, O/G) over its channels-last memory."""
    n, o, oh, ow = y.shape
    return _channels_last(y).reshape(n * oh * ow, groups, o // groups).transpose(1, 0, 2)


def lower(x, kernel, stride, padding, dilation, out, groups):
    """rows(x): (G, N oh ow, kh kw C/G)."""
    (kh, kw), (oh, ow), (ph, pw) = kernel, out, padding
    n, c, h, w = x.shape
    rows = np.empty((groups, n * oh * ow, kh * kw * (c // groups)), x.dtype)
    if c == 1:
        xp = np.zeros((n, h + 2 * ph, w + 2 * pw), x.dtype)
        xp[:, ph:ph + h, pw:pw + w] = x[:, 0]
        _im2row_1(xp, kh, kw, *stride, *dilation, oh, ow, rows[0])
    elif _is_channels_last(x):
        _im2row(x.transpose(0, 2, 3, 1), kh, kw, *stride, ph, pw, *dilation, oh, ow, groups, rows)
    else:
        _im2row_staged(x, kh, kw, *stride, ph, pw, *dilation, oh, ow, groups, rows)
    return rows


def _owned_channels_last(shape, dtype, zero=False):
    """An (N, C, H, W) array over channels-last memory of its own (not a view), so that the
    engine can hand it on as a gradient without copying it."""
    n, c, h, w = shape
    layout = np.empty((n, h, w, c), dtype).transpose(0, 3, 1, 2)   # only its strides are read
    return (np.zeros_like if zero else np.empty_like)(layout, order="K")


def forward(x, w, kernel, stride, padding, dilation, out, groups, rows=None):
    """(y, rows): conv(x, W) as NCHW over channels-last memory, and the lowered x (kept by
    the op for the weight gradient)."""
    rows = lower(x, kernel, stride, padding, dilation, out, groups) if rows is None else rows
    y = _owned_channels_last((x.shape[0], w.shape[0]) + tuple(out), x.dtype)
    by_pixel = y.transpose(0, 2, 3, 1).reshape(-1, groups, w.shape[0] // groups).transpose(1, 0, 2)
    np.matmul(rows, _weight_rows(w, groups), out=by_pixel)                 # (G, N L, O/G)
    return y, rows


def data_grad(gy, w, kernel, stride, padding, dilation, shape, groups):
    """convT(gy, W) into an image of ``shape`` (N, C, H, W): the adjoint of forward in x."""
    n, c, h, width = shape
    (ph, pw) = padding
    rows = _by_group(gy, groups) @ _weight_rows(w, groups).transpose(0, 2, 1)   # (G, N L, K)
    if c == 1:
        xp = np.zeros((n, h + 2 * ph, width + 2 * pw), gy.dtype)
        _row2im_1(np.ascontiguousarray(rows[0]), *kernel, *stride, *dilation, *gy.shape[2:], xp)
        return xp[:, None, ph:ph + h, pw:pw + width].copy()
    x = _owned_channels_last(shape, gy.dtype, zero=True)
    _row2im(np.ascontiguousarray(rows), *kernel, *stride, ph, pw, *dilation, *gy.shape[2:], groups,
            x.transpose(0, 2, 3, 1))
    return x


def weight_grad(x, gy, kernel, stride, padding, dilation, groups, rows=None):
    """wgrad(x, gy): the adjoint of forward in W, shaped (O, C/G, kh, kw)."""
    rows = lower(x, kernel, stride, padding, dilation, gy.shape[2:], groups) if rows is None else rows
    gw = rows.transpose(0, 2, 1) @ _by_group(gy, groups)                      # (G, K, O/G)
    kh, kw = kernel
    cg = x.shape[1] // groups
    return gw.reshape(groups, kh, kw, cg, gy.shape[1] // groups).transpose(0, 4, 3, 1, 2).reshape(gy.shape[1], cg, kh, kw)


# ---- bias and activation fused after the products, as for the dense layer ----------------
# The channels-last output is a (pixels, channels) matrix, so dense.py's epilogue passes
# apply unchanged: act(y + b) in place, and gz = gy act'(y) with db = its column sums.

def _pixels(y):
    """The (pixels, channels) matrix over an NCHW y's channels-last memory (a view)."""
    assert _is_channels_last(y), "the products return channels-last memory"
    return y.transpose(0, 2, 3, 1).reshape(-1, y.shape[1])


def _epilogue(matrix, b, activation, slope):
    _bias_act(matrix, np.ascontiguousarray(b, dtype=matrix.dtype), CODES[activation], matrix.dtype.type(slope))


def _epilogue_grad(gy, y, activation, slope, need_bias):
    """(gz, db) for NCHW gy and y whose memory is channels-last; gz NCHW over such memory,
    db None where not needed (an act' of 1 leaves only its sum to compute)."""
    n, c, h, w = y.shape
    if activation == "identity":
        return gy, (column_sums(_channels_last(gy).reshape(-1, c)) if need_bias else None)
    gy2, y2 = _channels_last(gy).reshape(-1, c), _channels_last(y).reshape(-1, c)
    gz, db = np.empty_like(gy2), np.empty(c, y.dtype)
    _act_grad_bias(gy2, y2, CODES[activation], y.dtype.type(slope), gz, db)
    return gz.reshape(n, h, w, c).transpose(0, 3, 1, 2), (db if need_bias else None)


def forward_act(x, w, b, activation, slope, kernel, stride, padding, dilation, out, groups):
    """(act(conv(x, W) + b), rows)."""
    y, rows = forward(x, w, kernel, stride, padding, dilation, out, groups)
    _epilogue(_pixels(y), b, activation, slope)
    return y, rows


def backward_act(x, w, y, gy, activation, slope, kernel, stride, padding, dilation, groups, need, rows=None):
    """(dx, dw, db) of act(conv(x, W) + b), None where not needed."""
    gz, db = _epilogue_grad(gy, y, activation, slope, need[2])
    dx = data_grad(gz, w, kernel, stride, padding, dilation, x.shape, groups) if need[0] else None
    dw = weight_grad(x, gz, kernel, stride, padding, dilation, groups, rows) if need[1] else None
    return dx, dw, db


def transpose_act(y, w, b, activation, slope, kernel, stride, padding, dilation, shape, groups):
    """(act(convT(y, W) + b) into an image of ``shape``, y over channels-last memory): the
    op keeps the second for the weight gradient, which reads y channels-last again (a copy
    where y came in NCHW)."""
    y = _channels_last(y).transpose(0, 3, 1, 2)
    out = data_grad(y, w, kernel, stride, padding, dilation, shape, groups)
    _epilogue(_pixels(out), b, activation, slope)
    return out, y


def transpose_backward_act(y, w, out, gout, activation, slope, kernel, stride, padding, dilation, groups, need):
    """(dy, dw, db) of act(convT(y, W) + b): convT's adjoints are conv (in y) and wgrad."""
    gz, db = _epilogue_grad(gout, out, activation, slope, need[2])
    dy, rows = (forward(gz, w, kernel, stride, padding, dilation, y.shape[2:], groups) if need[0]
                else (None, None))
    dw = weight_grad(gz, y, kernel, stride, padding, dilation, groups, rows) if need[1] else None
    return dy, dw, db
