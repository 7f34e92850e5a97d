"""Our CUDA GEMM with the dense epilogue against cuBLAS (cupy.matmul). Needs a GPU."""
import numpy as np
import pytest

import minivae as mv

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")]

SHAPES = [(1, 1, 1), (7, 20, 50), (20, 784, 1), (50, 7, 1000), (128, 784, 400), (1000, 50, 20),
          (4096, 1000, 7), (33, 4096, 65)]   # (M, K, N): sizes that are not multiples of the 64 x 16 tiles


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False)])
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-4), (np.float64, 1e-11)])
def test_gemm_matches_cublas(m, k, n, trans_a, trans_b, dtype, rtol):
    import cupy as cp
    from minivae.kernels.cuda.gemm import gemm
    rng = np.random.default_rng(m * 7 + n)
    a = cp.asarray(rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype))
    b = cp.asarray(rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype))
    want = cp.matmul(a.T if trans_a else a, b.T if trans_b else b)
    got = gemm(a, b, trans_a, trans_b)
    scale = float(cp.abs(want).max()) + 1.0
    np.testing.assert_allclose(cp.asnumpy(got), cp.asnumpy(want), rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("activation", ["identity", "relu", "tanh", "sigmoid", "leaky_relu"])
def test_gemm_epilogue_matches_the_dense_reference(activation):
    import cupy as cp
    import minivae.functional as F
    from minivae.kernels.cuda.gemm import gemm
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((37, 50)), rng.standard_normal((50, 70)) / 7, rng.standard_normal(70)
    mv.set_kernels("reference")
    try:
        want = F.dense(mv.tensor(x, dtype=np.float64), mv.tensor(w, dtype=np.float64),
                       mv.tensor(b, dtype=np.float64), activation, 0.1).numpy()
    finally:
        mv.set_kernels("fast")
    got = gemm(cp.asarray(x), cp.asarray(w), bias=cp.asarray(b), activation=activation, slope=0.1)
    np.testing.assert_allclose(cp.asnumpy(got), want, rtol=1e-11, atol=1e-12)
