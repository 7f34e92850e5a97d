"""``exp``, ``log1p`` and ``tanh`` that LLVM can vectorize inside a Numba loop.

The PyPI llvmlite has no SVML, so ``np.exp`` in a Numba loop is a scalar libm call and the
loop around it stays scalar. These are written from arithmetic that LLVM vectorizes:

exp(x):    Cody-Waite reduction x = n ln2 + r with |r| <= ln2/2, then e^r from Cephes'
           polynomial (float32) or Pade form (float64), times 2^n = 2^(n//2) 2^(n - n//2)
           built from exponent bits (two factors, so the whole range from the smallest
           subnormal result to overflow comes out right).
log1p(e) for 0 <= e <= 1, the range softplus(-|l|) needs:
           log1p(e) = 2 atanh(y) = 2y (1 + y^2/3 + y^4/5 + ...),  y = e / (2 + e) <= 1/3,
           7 terms in float32 (truncation (1/9)^7 / 15 = 1.4e-8 relative), 17 in float64.
           y is formed without rounding 1 + e, so tiny e keeps full relative precision.
tanh(x):   Cephes: for |x| < 0.625 the odd polynomial (float32) or rational form (float64)
           in x^2; above, (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29, no cancellation;
           the sign copied from x. Both are computed and one selected, so the loop stays
           branch-free. (NumPy's own float32 tanh is not SIMD on AVX2 builds.)

Accuracy, measured against a wider type (tests/kernels/cpu/test_vecmath.py): exp within
2 ulp wherever the result is a normal number, log1p within 3 ulp on [0, 1], tanh within
3 ulp; NaN stays NaN.
Their speed against NumPy's and libm's is measured in docs/profile.md. One rule keeps exp
vectorized: its exponent is converted through int32, which AVX2 has a vector instruction
for, and never int64, which it has not (LLVM then splits the conversion into one scalar
instruction a lane).

Callers use ``error_model="numpy"``: Numba's default Python error model guards every float
division with a zero check that keeps the loop from vectorizing. And Numba's on-disk cache
is keyed on the caller's own source file: after editing this file, delete the
``__pycache__/*.nbi`` and ``*.nbc`` files beside the kernels that use it.
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

_JIT = {"error_model": "numpy", "fastmath": {"contract"}}   # contract: fused multiply-adds


def _bitcast(float_type, ir_type, width):
    @intrinsic
    def from_bits(typingctx, bits):
        """The float whose bit pattern is the low ``width`` bits of an integer."""
        if not isinstance(bits, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            low = builder.trunc(args[0], ir.IntType(width)) if bits.bitwidth > width else args[0]
            return builder.bitcast(low, ir_type)
        return float_type(bits), codegen
    return from_bits


_float32_from_bits = _bitcast(types.float32, ir.FloatType(), 32)
_float64_from_bits = _bitcast(types.float64, ir.DoubleType(), 64)


@njit(inline="always", **_JIT)
def _exp_f32(x):
    f = np.float32
    if x < f(-104.0):   # below the smallest subnormal: 0 (NaN compares false and goes on)
        return f(0.0)
    x = f(89.0) if x > f(89.0) else x   # past float32's range: overflows to inf, as it should
    n = np.floor(x * f(1.4426950408889634) + f(0.5))
    r = (x - n * f(0.693359375)) + n * f(2.12194440e-4)   # ln2 split in two: n * hi is exact
    p = f(1.9875691500e-4)
    p = p * r + f(1.3981999507e-3)
    p = p * r + f(8.3334519073e-3)
    p = p * r + f(4.1665795894e-2)
    p = p * r + f(1.6666665459e-1)
    p = p * r + f(5.0000001201e-1)
    p = p * r * r + r + f(1.0)
    k = np.int32(n)   # not int64: AVX2 converts floats to int32 in vector lanes, to int64 one by one
    half = k >> np.int32(1)   # 2^k as two normal factors, each exponent within [-126, 127]
    return p * _float32_from_bits((half + np.int32(127)) << np.int32(23)) \
        * _float32_from_bits((k - half + np.int32(127)) << np.int32(23))


@njit(inline="always", **_JIT)
def _exp_f64(x):
    """Cephes exp: the same reduction, then e^r = 1 + 2 r P(r^2) / (Q(r^2) - r P(r^2))."""
    if x < -746.0:
        return 0.0
    x = 710.0 if x > 710.0 else x
    n = np.floor(x * 1.4426950408889634 + 0.5)
    r = (x - n * 6.93145751953125e-1) - n * 1.42860682030941723212e-6
    w = r * r
    p = r * ((1.26177193074810590878e-4 * w + 3.02994407707441961300e-2) * w + 9.99999999999999999910e-1)
    q = ((3.00198505138664455042e-6 * w + 2.52448340349684104192e-3) * w + 2.27265548208155028766e-1) * w \
        + 2.00000000000000000009e0
    e = 1.0 + 2.0 * p / (q - p)
    k = np.int64(np.int32(n))   # through int32, vectorized as in _exp_f32
    half = k >> 1   # each exponent within [-1022, 1023]
    return e * _float64_from_bits((half + 1023) << 52) * _float64_from_bits((k - half + 1023) << 52)


_F64_TERMS = np.array([1 / (2 * i + 1) for i in reversed(range(17))])   # 1/33, ..., 1/3, 1


@njit(inline="always", **_JIT)
def _log1p_unit_f32(e):   # written out: 7% faster in the BCE kernel than the loop below
    f = np.float32
    y = e / (f(2.0) + e)
    w = y * y
    q = f(1 / 13)
    q = q * w + f(1 / 11)
    q = q * w + f(1 / 9)
    q = q * w + f(1 / 7)
    q = q * w + f(1 / 5)
    q = q * w + f(1 / 3)
    q = q * w + f(1.0)
    return f(2.0) * y * q


@njit(inline="always", **_JIT)
def _log1p_unit_f64(e):
    y = e / (2.0 + e)
    w = y * y
    q = 0.0
    for i in range(17):   # 17 terms: truncation (1/9)^17 / 35 = 1.7e-18 relative
        q = q * w + _F64_TERMS[i]
    return 2.0 * y * q


@njit(inline="always", **_JIT)
def _tanh_f32(x):
    f = np.float32
    a = abs(x)
    e = _exp_f32(f(-2.0) * a)
    big = (f(1.0) - e) / (f(1.0) + e)
    z = a * a
    small = ((((f(-5.70498872745e-3) * z + f(2.06390887954e-2)) * z - f(5.37397155531e-2)) * z
              + f(1.33314422036e-1)) * z - f(3.33332819422e-1)) * z * a + a
    return math.copysign(small if a < f(0.625) else big, x)


@njit(inline="always", **_JIT)
def _tanh_f64(x):
    a = abs(x)
    e = _exp_f64(-2.0 * a)
    big = (1.0 - e) / (1.0 + e)
    z = a * a
    p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3
    q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3
    return math.copysign(a + a * z * p / q if a < 0.625 else big, x)


def exp(x):
    """e^x for float32 or float64, vectorizable inside a Numba loop."""
    return np.exp(x)


def log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1, float32 or float64, vectorizable inside a Numba loop."""
    return np.log1p(e)


def tanh(x):
    """tanh(x) for float32 or float64, vectorizable inside a Numba loop."""
    return np.tanh(x)


def _by_dtype(fn, f32, f64):
    """``fn`` inside Numba code: ``f32`` on a float32 argument, ``f64`` on a float64 one."""
    @overload(fn, inline="always", jit_options=_JIT)
    def typed(x):
        if x == types.float32:
            return lambda x: f32(x)
        if x == types.float64:
            return lambda x: f64(x)


_by_dtype(exp, _exp_f32, _exp_f64)
_by_dtype(log1p_unit, _log1p_unit_f32, _log1p_unit_f64)
_by_dtype(tanh, _tanh_f32, _tanh_f64)
