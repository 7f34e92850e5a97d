import numpy as np
import pytest
from hypothesis import given, strategies as st
from numba import njit

import re

from minivae.kernels.cpu.vecmath import exp, log1p_unit, tanh


@njit(error_model="numpy")
def _exp_loop(x, out):
    for i in range(x.size):
        out[i] = exp(x[i])


@njit(error_model="numpy")
def _log1p_loop(e, out):
    for i in range(e.size):
        out[i] = log1p_unit(e[i])


@njit(error_model="numpy")
def _tanh_loop(x, out):
    for i in range(x.size):
        out[i] = tanh(x[i])


def _apply(loop, x):
    out = np.empty_like(x)
    loop(x, out)
    return out


def _ulps(got, exact, dtype):
    """|got - exact| in units in the last place of the exact value rounded to ``dtype``."""
    return np.abs(got.astype(exact.dtype) - exact) / np.spacing(exact.astype(dtype)).astype(exact.dtype)


WIDER = {np.float32: np.float64, np.float64: np.longdouble}


def _needs_wider(dtype):
    if np.finfo(WIDER[dtype]).eps >= np.finfo(dtype).eps:
        pytest.skip(f"no type wider than {dtype.__name__} to check against")


@pytest.mark.parametrize("dtype, low, high", [(np.float32, -110, 90), (np.float64, -750, 712)])
def test_exp_within_two_ulp_over_the_whole_range(dtype, low, high):
    _needs_wider(dtype)
    x = np.linspace(low, high, 400_001).astype(dtype)
    got = _apply(_exp_loop, x)
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(WIDER[dtype]))
    info = np.finfo(dtype)
    normal = (exact >= info.tiny) & (exact <= info.max)
    assert _ulps(got[normal], exact[normal], dtype).max() <= 2
    subnormal = exact < info.tiny   # one subnormal step at most, and 0 where exp underflows
    assert np.abs(got[subnormal] - exact[subnormal]).max() <= info.smallest_subnormal
    assert np.all(np.isposinf(got[exact > info.max]))


@given(st.floats(-120, 100, width=32))
def test_exp_float32_at_any_point(x):
    got = _apply(_exp_loop, np.array([x], np.float32))[0]
    exact = np.exp(np.float64(x))
    if np.finfo(np.float32).tiny <= exact <= np.finfo(np.float32).max:
        assert abs(got - exact) <= 2 * np.spacing(np.float32(exact))
    elif exact > np.finfo(np.float32).max:
        assert got == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values(dtype):
    got = _apply(_exp_loop, np.array([np.nan, -np.inf, np.inf, 0.0], dtype))
    assert np.isnan(got[0]) and got[1] == 0 and got[2] == np.inf and got[3] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log1p_on_the_unit_interval_within_three_ulp(dtype):
    _needs_wider(dtype)
    tiny = np.finfo(dtype).tiny
    e = np.concatenate([np.linspace(0, 1, 200_001), np.geomspace(tiny, 1, 20_001)]).astype(dtype)
    got = _apply(_log1p_loop, e)
    exact = np.log1p(e.astype(WIDER[dtype]))
    assert got[0] == 0
    keep = exact >= tiny
    assert _ulps(got[keep], exact[keep], dtype).max() <= 3
    assert np.isnan(_apply(_log1p_loop, np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_within_three_ulp_and_odd(dtype):
    _needs_wider(dtype)
    x = np.concatenate([np.linspace(-12, 12, 400_001), np.geomspace(np.finfo(dtype).tiny, 25, 100_001)]).astype(dtype)
    x = np.concatenate([x, -x])
    got = _apply(_tanh_loop, x)
    exact = np.tanh(x.astype(WIDER[dtype]))
    assert _ulps(got, exact, dtype).max() <= 3
    assert np.array_equal(got[: x.size // 2], -got[x.size // 2:])   # tanh(-x) = -tanh(x), bit for bit
    special = _apply(_tanh_loop, np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 40.0], dtype))
    assert np.isnan(special[0]) and list(special[1:3]) == [1, -1] and special[5] == 1
    assert special[3] == 0 and not np.signbit(special[3]) and np.signbit(special[4])


@given(st.floats(-30, 30, width=32))
def test_tanh_float32_at_any_point(x):
    got = _apply(_tanh_loop, np.array([x], np.float32))[0]
    exact = np.tanh(np.float64(x))
    assert abs(got - exact) <= 3 * np.spacing(np.float32(abs(exact))) or exact == 0 == got


@pytest.mark.parametrize("fn", [exp, log1p_unit, tanh])
def test_float32_loop_is_vectorized_without_libm_calls(fn):
    """What the module is for: the loop compiles to SIMD code with no call to expf/log1pf/tanhf."""
    loop = {exp: _exp_loop, log1p_unit: _log1p_loop, tanh: _tanh_loop}[fn]
    x = np.ones(8, np.float32)
    loop(x, np.empty_like(x))
    signature = next(s for s in loop.signatures if s[0].dtype.name == "float32")
    ir = loop.inspect_llvm(signature)
    assert "x float>" in ir   # a vector of floats: <8 x float>, <16 x float>, ...
    assert all(f"@{name}" not in ir for name in ("expf", "log1pf", "tanhf", "llvm.exp."))
    # float -> int64 has no vector instruction before AVX-512: LLVM would split it into one
    # scalar conversion a lane, so exp's 2^n goes through int32
    assert not re.search(r"fptosi <\d+ x float> %[\w.]+ to <\d+ x i64>", ir)
