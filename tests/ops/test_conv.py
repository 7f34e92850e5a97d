"""conv2d and conv_transpose2d against plain loops over the definition, their gradients
(and gradients of gradients) against finite differences, and the adjoint identities."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minivae as mv
import minivae.functional as F
from minivae.testing import gradcheck, gradgradcheck
from strategies import arrays, assert_paths_agree, both_paths


def out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_loop(x, w, b, s, p, d, groups):
    """y[n,o,i,j] = b[o] + sum_{c,a,e} w[o,c,a,e] x[n, group(o) Cg + c, i s + a d - p, j s + e d - p]."""
    n_, c_, h, wd = x.shape
    o_, cg, kh, kw = w.shape
    oh, ow = out_size(h, kh, s[0], p[0], d[0]), out_size(wd, kw, s[1], p[1], d[1])
    y = np.zeros((n_, o_, oh, ow)) + (0 if b is None else b[None, :, None, None])
    for n in range(n_):
        for o in range(o_):
            g = o // (o_ // groups)
            for i in range(oh):
                for j in range(ow):
                    for c in range(cg):
                        for a in range(kh):
                            for e in range(kw):
                                r, q = i * s[0] + a * d[0] - p[0], j * s[1] + e * d[1] - p[1]
                                if 0 <= r < h and 0 <= q < wd:
                                    y[n, o, i, j] += w[o, c, a, e] * x[n, g * cg + c, r, q]
    return y


def conv_transpose_loop(x, w, s, p, d, groups, extra):
    """Each input pixel spreads its value times the kernel over the output (the adjoint)."""
    n_, c_, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + extra[0] + 1
    ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + extra[1] + 1
    y = np.zeros((n_, og * groups, oh, ow))
    for n in range(n_):
        for c in range(c_):
            g = c // (c_ // groups)
            for i in range(h):
                for j in range(wd):
                    for o in range(og):
                        for a in range(kh):
                            for e in range(kw):
                                r, q = i * s[0] + a * d[0] - p[0], j * s[1] + e * d[1] - p[1]
                                if 0 <= r < oh and 0 <= q < ow:
                                    y[n, g * og + o, r, q] += x[n, c, i, j] * w[c, o, a, e]
    return y


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 2))
    n, cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 1)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    assume(out_size(h, k[0], s[0], p[0], d[0]) >= 1 and out_size(w, k[1], s[1], p[1], d[1]) >= 1)
    x = draw(arrays((n, cg * groups, h, w)))
    weight = draw(arrays((og * groups, cg) + k)) / 2
    bias = draw(arrays((og * groups,)))
    return x, weight, bias, s, p, d, groups


@given(conv_cases())
def test_conv2d_values_and_gradients(case):
    x, w, b, s, p, d, groups = case
    fn = lambda x, w, b: F.conv2d(x, w, b, s, p, d, groups)
    y = fn(*(mv.tensor(a, dtype=np.float64) for a in (x, w, b)))
    np.testing.assert_allclose(y.numpy(), conv_loop(x, w, b, s, p, d, groups), rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, x, w, b)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, None, s, p, d, groups), x, w)


@given(conv_cases(), st.data())
def test_conv_transpose2d_values_and_gradients(case, data):
    x, w, _, s, p, d, groups = case
    extra = tuple(data.draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    size = [(n - 1) * si - 2 * pi + di * (k - 1) + e + 1
            for n, si, pi, di, k, e in zip(x.shape[2:], s, p, d, w.shape[2:], extra)]
    assume(min(size) >= 1)
    wt = data.draw(arrays((x.shape[1], w.shape[0] // groups) + w.shape[2:])) / 2   # (in, out / groups, kh, kw)
    fn = lambda x, w: F.conv_transpose2d(x, w, None, s, p, extra, groups, d)
    y = fn(mv.tensor(x, dtype=np.float64), mv.tensor(wt, dtype=np.float64))
    np.testing.assert_allclose(y.numpy(), conv_transpose_loop(x, wt, s, p, d, groups, extra), rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, x, wt)
    assert gradgradcheck(fn, x, wt)


@given(conv_cases(), st.integers(0, 2 ** 32 - 1))
def test_conv_transpose_is_the_adjoint_of_conv(case, seed):
    """<conv(x, W), y> = <x, convT(y, W)> (the same W: PyTorch's layouts make it so), and
    <conv(x, W), y> = <W, dL/dW> with L = <conv(x, W), y>."""
    x, w, _, s, p, d, groups = case
    xt, wt = mv.tensor(x, dtype=np.float64), mv.tensor(w, dtype=np.float64, requires_grad=True)
    y = F.conv2d(xt, wt, None, s, p, d, groups)
    r = np.random.default_rng(seed).standard_normal(y.shape)
    extra = tuple(n - ((o - 1) * si - 2 * pi + di * (k - 1) + 1)
                  for n, o, si, pi, di, k in zip(x.shape[2:], y.shape[2:], s, p, d, w.shape[2:]))
    assume(all(0 <= e < max(si, di) for e, si, di in zip(extra, s, d)))
    back = F.conv_transpose2d(mv.tensor(r), mv.tensor(w), None, s, p, extra, groups, d).numpy()
    lhs = float((y.numpy() * r).sum())
    assert lhs == pytest.approx(float((x * back).sum()), rel=1e-9, abs=1e-9)
    (y * mv.tensor(r)).sum().backward()
    assert lhs == pytest.approx(float((w * wt.grad.numpy()).sum()), rel=1e-9, abs=1e-9)


def test_float32_stays_float32_and_strided_inputs_work():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 9, 8)).astype(np.float32)[:, ::2]     # strided channels
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    y = F.conv2d(mv.tensor(x), mv.tensor(w), None, 2, 1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), conv_loop(x.astype(np.float64), w.astype(np.float64), None,
                                                     (2, 2), (1, 1), (1, 1), 1), rtol=1e-5, atol=1e-5)


def test_fast_and_reference_paths_agree():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 11, 10)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 4)).astype(np.float32)
    wt = rng.standard_normal((4, 3, 4, 4)).astype(np.float32)
    results = both_paths(lambda x, w, wt: (F.conv2d(x, w, None, (2, 1), (1, 2), (1, 2), 2),
                                           F.conv_transpose2d(x, wt, None, 2, 1, 1)), x, w, wt)
    assert_paths_agree(results, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv2d(x, w[:, :2]), "do not fit"),
    (lambda x, w: F.conv2d(x, w, None, 0), "stride must be"),
    (lambda x, w: F.conv2d(x, w, None, 1, -1), "padding must be"),
    (lambda x, w: F.conv2d(x, w, None, 1, 0, 1, 2), "do not fit"),
    (lambda x, w: F.conv2d(x[0], w), "expected input"),
    (lambda x, w: F.conv2d(x, w, mv.tensor(np.zeros(2))), "bias must have shape"),
    (lambda x, w: F.conv2d(x[:, :, :2, :2], w), "does not fit the input"),
    (lambda x, w: F.conv_transpose2d(x, w, None, 2, 0, 2), "output_padding"),
])
def test_bad_arguments_are_named(call, message):
    x, w = mv.tensor(np.zeros((1, 3, 5, 5))), mv.tensor(np.zeros((3, 3, 3, 3)))
    with pytest.raises(ValueError, match=message):
        call(x, w)


@pytest.mark.parametrize("activation, slope", [("identity", 0.0), ("relu", 0.0), ("tanh", 0.0), ("sigmoid", 0.0),
                                               ("leaky_relu", 0.2), ("leaky_relu", -0.5)])
@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-4), (np.float64, 1e-10)])
def test_the_fused_bias_and_activation_match_the_composite(activation, slope, dtype, tol):
    """act(conv(x, W) + b) from the kernel (bias and activation after the products) and from
    the plain ops, with every input's gradient; and the composite's definition itself."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 9, 8)).astype(dtype)
    w, b = (rng.standard_normal((6, 2, 3, 3)) / 3).astype(dtype), rng.standard_normal(6).astype(dtype)
    wt, bt = (rng.standard_normal((4, 3, 4, 4)) / 3).astype(dtype), rng.standard_normal(6).astype(dtype)
    results = both_paths(lambda x, w, b, wt, bt: (
        F.conv2d(x, w, b, 2, 1, 1, 2, activation=activation, slope=slope),
        F.conv_transpose2d(x, wt, bt, 2, 1, 1, 2, activation=activation, slope=slope)), x, w, b, wt, bt)
    assert_paths_agree(results, rtol=tol, atol=tol)
    plain = conv_loop(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), (2, 2), (1, 1), (1, 1), 2)
    fused = results["fast"][0][0].astype(np.float64)
    want = {"identity": plain, "relu": np.maximum(plain, 0), "tanh": np.tanh(plain),
            "sigmoid": 1 / (1 + np.exp(-plain)), "leaky_relu": np.where(plain > 0, plain, slope * plain)}[activation]
    np.testing.assert_allclose(fused, want, rtol=tol * 10, atol=tol * 10)


def test_a_fused_convolution_has_second_derivatives():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)) / 3, rng.standard_normal(3)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, 1, 1, activation="tanh"), x, w, b)
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, activation="tanh"),
                         x[:, :, :3, :3], np.ascontiguousarray(w.transpose(1, 0, 2, 3)), rng.standard_normal(3))


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_an_infinite_weight_without_bias_gives_inf_not_nan(mode):
    """The fused path's zero bias was 0 * weight[:, 0, 0, 0]: NaN for an infinite weight (N2)."""
    from minivae import set_kernels
    from minivae.kernels import kernel_mode
    previous = kernel_mode()
    set_kernels(mode)
    try:
        x = mv.tensor(np.ones((1, 1, 3, 3), np.float32))
        w = np.ones((2, 1, 1, 1), np.float32)
        w[0, 0, 0, 0] = np.inf
        y = F.conv2d(x, mv.tensor(w)).numpy()
        yt = F.conv_transpose2d(x, mv.tensor(w.transpose(1, 0, 2, 3).copy())).numpy()
    finally:
        set_kernels(previous)
    for out in (y, yt):
        np.testing.assert_array_equal(out[0, 0], np.full((3, 3), np.inf))
        np.testing.assert_array_equal(out[0, 1], np.ones((3, 3)))


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
@pytest.mark.parametrize("which", ["weight", "bias"])
def test_mixed_dtypes_are_refused_on_either_path(op, which):
    """float32 with float64 was promoted, and fast and reference paths differed in the
    result's dtype (N3): refused as PyTorch does."""
    x = mv.tensor(np.ones((1, 2, 4, 4), np.float32))
    w = mv.tensor(np.ones((2, 2, 3, 3), np.float64 if which == "weight" else np.float32))
    b = mv.tensor(np.zeros(2, np.float64)) if which == "bias" else None
    with pytest.raises(TypeError, match=f"{op}: input is float32, weight is .*float64"):
        getattr(F, op)(x, w, b)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_empty_batches_and_channels_give_empty_outputs(mode):
    """A zero-size batch, or zero input channels, has an output of the right shape (N6)."""
    from minivae import set_kernels
    from minivae.kernels import kernel_mode
    previous = kernel_mode()
    set_kernels(mode)
    try:
        x = mv.tensor(np.zeros((0, 3, 5, 5), np.float32), requires_grad=True)
        w = mv.tensor(np.ones((2, 3, 3, 3), np.float32), requires_grad=True)
        y = F.conv2d(x, w, None, 1, 1)
        assert y.shape == (0, 2, 5, 5)
        y.sum().backward()
        assert x.grad.shape == x.shape
        np.testing.assert_array_equal(w.grad.numpy(), 0.0)
        assert F.conv_transpose2d(mv.tensor(np.zeros((0, 2, 3, 3), np.float32)), w).shape == (0, 3, 5, 5)
        none_in = F.conv2d(mv.tensor(np.ones((2, 0, 4, 4), np.float32)), mv.tensor(np.ones((3, 0, 3, 3), np.float32)))
        np.testing.assert_array_equal(none_in.numpy(), np.zeros((2, 3, 2, 2)))
    finally:
        set_kernels(previous)


def test_same_and_valid_padding_as_pytorch():
    """padding="same" keeps the size (stride 1) and equals the explicit symmetric padding;
    "valid" is none. An even kernel would need uneven padding: refused, named."""
    rng = np.random.default_rng(0)
    x = mv.tensor(rng.standard_normal((2, 3, 7, 6)).astype(np.float32))
    w = mv.tensor(rng.standard_normal((4, 3, 3, 5)).astype(np.float32))
    np.testing.assert_array_equal(F.conv2d(x, w, padding="same", dilation=(2, 1)).numpy(),
                                  F.conv2d(x, w, padding=(2, 2), dilation=(2, 1)).numpy())
    assert F.conv2d(x, w, padding="same").shape == (2, 4, 7, 6)
    np.testing.assert_array_equal(F.conv2d(x, w, padding="valid").numpy(), F.conv2d(x, w).numpy())
    layer = mv.nn.Conv2d(3, 4, np.int64(3), padding="same")
    assert layer(x).shape == (2, 4, 7, 6) and layer.weight.shape == (4, 3, 3, 3)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"padding='same' with kernel \(2, 2\)"):
        F.conv2d(x, mv.tensor(np.ones((4, 3, 2, 2), np.float32)), padding="same")
    with pytest.raises(ValueError, match="conv_transpose2d: padding must be an int or a pair of ints, got 'same'"):
        F.conv_transpose2d(x, mv.tensor(np.ones((3, 4, 3, 3), np.float32)), padding="same")
