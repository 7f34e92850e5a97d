"""Pooling and upsampling against loops over their definitions, with gradients (and
gradients of gradients) against finite differences."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minivae as mv
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import arrays


def windows(h, w, k, s, p, d):
    """The window positions of each output pixel: {(i, j): [(r, q) inside the image, ...]}."""
    oh, ow = ((n + 2 * p - d * (k - 1) - 1) // s + 1 for n in (h, w))
    return {(i, j): [(i * s + a * d - p, j * s + e * d - p) for a in range(k) for e in range(k)
                     if 0 <= i * s + a * d - p < h and 0 <= j * s + e * d - p < w]
            for i in range(oh) for j in range(ow)}, (oh, ow)


def pool_loop(x, k, s, p, d, reduce):
    table, (oh, ow) = windows(*x.shape[2:], k, s, p, d)
    y = np.zeros(x.shape[:2] + (oh, ow))
    for (i, j), cells in table.items():
        y[:, :, i, j] = reduce(np.stack([x[:, :, r, q] for r, q in cells], -1), k * k)
    return y


@st.composite
def pool_cases(draw):
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, k // 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    assume(min(((n + 2 * p - d * (k - 1) - 1) // s + 1) for n in (h, w)) >= 1)
    # distinct values, so that the max and its gradient are defined
    x = draw(arrays((draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)))
    x = x + np.arange(x.size).reshape(x.shape) * 1e-3
    return x, k, s, p, d


@given(pool_cases())
def test_max_pool2d(case):
    x, k, s, p, d = case
    assume(all(windows(*x.shape[2:], k, s, p, d)[0].values()))   # no window wholly in the padding
    fn = lambda x: F.max_pool2d(x, k, s, p, d)
    np.testing.assert_allclose(fn(mv.tensor(x)).numpy(), pool_loop(x, k, s, p, d, lambda v, n: v.max(-1)))
    assert gradcheck(fn, x, eps=1e-7)
    assert gradgradcheck(fn, x, eps=1e-7)


@given(pool_cases())
def test_avg_pool2d_counts_padding_as_zeros(case):
    x, k, s, p, _ = case
    assume(min(((n + 2 * p - (k - 1) - 1) // s + 1) for n in x.shape[2:]) >= 1)
    fn = lambda x: F.avg_pool2d(x, k, s, p)
    np.testing.assert_allclose(fn(mv.tensor(x)).numpy(), pool_loop(x, k, s, p, 1, lambda v, n: v.sum(-1) / n),
                               rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, x)


@given(arrays((2, 3, 3, 2)), st.integers(1, 3), st.integers(1, 3))
def test_upsample_repeats_each_pixel(x, sh, sw):
    y = F.upsample(mv.tensor(x), (sh, sw)).numpy()
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, sh, 2), sw, 3))
    assert gradcheck(lambda x: F.upsample(x, (sh, sw)), x)


def test_max_pool_gradient_goes_to_the_first_maximum_of_a_tie():
    x = mv.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0], [0, 0]]]])


@pytest.mark.parametrize("call, message", [
    (lambda x: F.max_pool2d(x, 2, padding=2), "at most half the kernel"),
    (lambda x: F.max_pool2d(x, 7), "does not fit"),
    (lambda x: F.max_pool2d(x[:, :, :1, :1], 2, 1, 1, 2), "wholly in the padding"),
    (lambda x: F.avg_pool2d(x, 0), "kernel_size must be"),
    (lambda x: F.upsample(x, 0), "scale_factor must be"),
    (lambda x: F.max_pool2d(x[0], 2), "expected input"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(mv.tensor(np.zeros((1, 1, 4, 4))))


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_max_pool_never_picks_the_padding(mode):
    """A window whose real entries are all -inf gives -inf and sends its gradient there, as
    PyTorch does; the argmax once chose a padding slot: 0 out, gradient lost (N1)."""
    from minivae import set_kernels
    from minivae.kernels import kernel_mode
    previous = kernel_mode()
    set_kernels(mode)
    try:
        x = mv.tensor(np.array([[[[-np.inf, 1.], [2., 3.]]]]), requires_grad=True)
        y = F.max_pool2d(x, 2, 2, 1)
        y.sum().backward()
    finally:
        set_kernels(previous)
    np.testing.assert_array_equal(y.numpy().ravel(), [-np.inf, 1, 2, 3])
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 1, 1, 1])


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pools_of_an_empty_batch_are_empty(pool):
    x = mv.tensor(np.zeros((0, 3, 4, 4), np.float32), requires_grad=True)
    y = pool(x, 2)
    assert y.shape == (0, 3, 2, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 4, 4)
