"""The CPU convolution kernels' own contract (their values against the definition are in
tests/ops/test_conv.py): the one-channel lowering is the general one, outputs own their
channels-last memory, and backward computes only the gradients asked for."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minivae.kernels.cpu import conv

GEOMETRY = dict(kernel=(4, 4), stride=(2, 2), padding=(1, 1), dilation=(1, 1))


def _args(g=GEOMETRY):
    return g["kernel"], g["stride"], g["padding"], g["dilation"]


@given(st.integers(1, 3), st.integers(2, 9), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 2 ** 32 - 1))
def test_the_one_channel_lowering_is_the_general_one(n, size, k, s, p, d, seed):
    x = np.random.default_rng(seed).standard_normal((n, 1, size, size)).astype(np.float32)
    out = ((size + 2 * p - d * (k - 1) - 1) // s + 1,) * 2
    if out[0] < 1:
        return
    rows = conv.lower(x, (k, k), (s, s), (p, p), (d, d), out, 1)            # the zero-padded path
    general = np.empty_like(rows)
    conv._im2row(x.transpose(0, 2, 3, 1), k, k, s, s, p, p, d, d, *out, 1, general)
    np.testing.assert_array_equal(rows, general)


@given(st.integers(1, 2), st.integers(1, 3), st.integers(2, 8), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 2 ** 32 - 1))
def test_every_input_layout_lowers_to_the_same_rows(n, groups, size, k, s, p, d, seed):
    """Channels-last memory is lowered as it lies; NCHW and strided inputs are staged one
    image at a time."""
    out = ((size + 2 * p - d * (k - 1) - 1) // s + 1,) * 2
    if out[0] < 1:
        return
    x = np.random.default_rng(seed).standard_normal((n, 2 * groups, size, 2 * size)).astype(np.float32)
    layouts = {"nchw": x[..., ::2].copy(), "channels-last": np.ascontiguousarray(x[..., ::2].transpose(0, 2, 3, 1))
               .transpose(0, 3, 1, 2), "strided": x[..., ::2]}
    lowered = {name: conv.lower(a, (k, k), (s, s), (p, p), (d, d), out, groups) for name, a in layouts.items()}
    for name, rows in lowered.items():
        np.testing.assert_array_equal(rows, lowered["nchw"], err_msg=name)
    n_, c_ = x.shape[:2]   # and the rows are the definition's: rows[g, (n, p, q), (i, j, c)]
    xp = np.pad(layouts["nchw"], ((0, 0), (0, 0), (p, p), (p, p)))
    for i in range(k):
        for j in range(k):
            tap = xp[:, :, i * d:i * d + s * (out[0] - 1) + 1:s, j * d:j * d + s * (out[1] - 1) + 1:s]
            for g in range(groups):
                cg = c_ // groups
                want = tap[:, g * cg:(g + 1) * cg].transpose(0, 2, 3, 1).reshape(-1, cg)
                np.testing.assert_array_equal(lowered["nchw"][g, :, (i * k + j) * cg:(i * k + j + 1) * cg], want)


def test_outputs_and_input_gradients_own_channels_last_memory():
    """So that the engine hands them on without a copy, and the next layer reads them as
    they lie."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 8, 8)).astype(np.float32), rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
    y, rows = conv.forward_act(x, w, np.zeros(5, np.float32), "relu", 0.0, *_args(), (4, 4), 1)
    dx, _, _ = conv.backward_act(x, w, y, np.ones_like(y), "relu", 0.0, *_args(), 1, (True, False, False), rows)
    up, kept = conv.transpose_act(y, w, np.zeros(3, np.float32), "identity", 0.0, *_args(), x.shape, 1)
    for a in (y, dx, up):
        assert a.flags.owndata and a.transpose(0, 2, 3, 1).flags.c_contiguous
    assert kept is y or np.shares_memory(kept, y)   # already channels-last: kept as it is
    nchw = np.ascontiguousarray(y)
    _, kept = conv.transpose_act(nchw, w, np.zeros(3, np.float32), "identity", 0.0, *_args(), x.shape, 1)
    np.testing.assert_array_equal(kept, nchw)   # else the convT's input in the layout its backward reads
    assert kept.transpose(0, 2, 3, 1).flags.c_contiguous


@pytest.mark.parametrize("activation", ["identity", "relu"])
@pytest.mark.parametrize("transposed", [False, True])
def test_backward_computes_only_the_gradients_asked_for(activation, transposed):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 3, 4, 4))
    if transposed:
        x = rng.standard_normal((2, 5, 4, 4))
        y, kept = conv.transpose_act(x, w, np.zeros(3), activation, 0.0, *_args(), (2, 3, 8, 8), 1)
        backward = lambda need: conv.transpose_backward_act(kept, w, y, gy, activation, 0.0, *_args(), 1, need)
    else:
        x = rng.standard_normal((2, 3, 8, 8))
        y, rows = conv.forward_act(x, w, np.zeros(5), activation, 0.0, *_args(), (4, 4), 1)
        backward = lambda need: conv.backward_act(x, w, y, gy, activation, 0.0, *_args(), 1, need, rows)
    gy = rng.standard_normal(y.shape)
    every = backward((True, True, True))
    for need in [(True, False, False), (False, True, False), (False, False, True), (False, True, True)]:
        got = backward(need)
        for wanted, g, full in zip(need, got, every):
            assert (g is None) != wanted
            if wanted:
                np.testing.assert_allclose(g, full, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(every[2], gy.sum((0, 2, 3)) if activation == "identity" else
                               (gy * (y > 0)).sum((0, 2, 3)), rtol=1e-12)
