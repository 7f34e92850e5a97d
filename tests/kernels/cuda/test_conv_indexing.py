"""The index arithmetic of conv.cu's im2col and col2im kernels, replayed in NumPy over
every flat index on the CPU, against the reference lowering in minivae/ops/conv.py. Keep
the formulas here in step with the kernels; tests/kernels/cuda/test_conv.py runs the
kernels themselves where there is a GPU."""
import numpy as np
import pytest

from minivae.ops.conv import Geometry, col2im, im2col

CASES = [((2, 4, 9, 8), (3, 2), (2, 1), (1, 0), (1, 2), 2), ((1, 1, 5, 5), (4, 4), (2, 2), (1, 1), (1, 1), 1),
         ((3, 6, 7, 6), (1, 3), (1, 3), (0, 2), (2, 1), 3)]


def replay_im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n_, c_, h, w = x.shape
    length = n_ * oh * ow
    idx = np.arange(c_ * kh * kw * length)
    at, row = idx % length, idx // length
    j, i, c = row % kw, (row // kw) % kh, row // (kw * kh)
    q, p, n = at % ow, (at // ow) % oh, at // (ow * oh)
    r, s = p * sh + i * dh - ph, q * sw + j * dw - pw
    inside = (r >= 0) & (r < h) & (s >= 0) & (s < w)
    flat = x.reshape(-1)
    col = np.zeros(idx.size, x.dtype)
    col[inside] = flat[(((n * c_ + c) * h + r) * w + s)[inside]]
    return col.reshape(c_ * kh * kw, length)


def replay_col2im(col, shape, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n_, c_, h, w = shape
    length = n_ * oh * ow
    idx = np.arange(n_ * c_ * h * w)
    ww, hh, c, n = idx % w, (idx // w) % h, (idx // (w * h)) % c_, idx // (w * h * c_)
    total = np.zeros(idx.size, col.dtype)
    flat = col.reshape(-1)
    for i in range(kh):
        rr = hh + ph - i * dh
        p = rr // sh
        for j in range(kw):
            ss = ww + pw - j * dw
            q = ss // sw
            ok = (rr >= 0) & (rr % sh == 0) & (p < oh) & (ss >= 0) & (ss % sw == 0) & (q < ow)
            total[ok] += flat[(((c * kh + i) * kw + j) * length + (n * oh + p) * ow + q)[ok]]
    return total.reshape(shape)


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, groups", CASES)
def test_the_kernels_index_arithmetic_is_the_reference_lowering(shape, kernel, stride, padding, dilation, groups):
    g = Geometry(kernel, stride, padding, dilation, groups)
    x = np.random.default_rng(0).standard_normal(shape)
    oh, ow = g.out_size(shape[2:])
    want = im2col(x, g)                                          # (G, C/G kh kw, N L)
    got = replay_im2col(x, *kernel, *stride, *padding, *dilation, oh, ow)
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    cols = np.random.default_rng(1).standard_normal(want.shape)
    np.testing.assert_allclose(replay_col2im(cols, shape, *kernel, *stride, *padding, *dilation, oh, ow),
                               col2im(cols, shape, g, (oh, ow)), rtol=1e-12, atol=1e-12)
