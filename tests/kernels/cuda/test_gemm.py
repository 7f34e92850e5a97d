"""Our CUDA GEMM with the dense epilogue against cuBLAS (cupy.matmul). Needs a GPU."""
import numpy as np
import pytest

import minivae as mv
from cuda_graph import recorded

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


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_dense_layer_recorded_in_a_cuda_graph_matches_eager(activation):
    """Inside a capture the dense kernels switch from cuBLAS to our GEMM; forward and
    backward replayed from the graph equal the eager ones."""
    import cupy as cp
    import minivae.functional as F
    rng = np.random.default_rng(4)
    x, w, b, gy = (cp.asarray(rng.standard_normal(s).astype(np.float32))   # on the device before any capture
                   for s in ((100, 784), (784, 200), (200,), (100, 200)))

    def run():
        xs, ws, bs = (mv.Tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.dense(xs, ws, bs, activation)
        y.backward(mv.Tensor(gy))
        return y, xs, ws, bs
    eager = [t.data if i == 0 else t.grad.data for i, t in enumerate(run())]
    run()                                          # compile outside the capture
    graph, stream, replayed = recorded(run)
    graph.launch(stream)
    stream.synchronize()
    for want, got in zip(eager, [t.data if i == 0 else t.grad.data for i, t in enumerate(replayed)]):
        np.testing.assert_allclose(cp.asnumpy(got), cp.asnumpy(want), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False)])
def test_the_tf32_gemm_is_the_product_of_rounded_inputs_within_its_bound(m, k, n, trans_a, trans_b):
    """Against the TF32-rounded inputs multiplied in float64 (only fp32 summation error
    left), and against the exact product within the bound gemm.cu states."""
    import cupy as cp
    from minivae.kernels.cuda.gemm import gemm
    from tf32_reference import tf32, tf32_bound
    rng = np.random.default_rng(m + 3 * n)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    A, B = (a.T if trans_a else a), (b.T if trans_b else b)
    got = cp.asnumpy(gemm(cp.asarray(a), cp.asarray(b), trans_a, trans_b, tf32=True)).astype(np.float64)
    magnitude = np.abs(A).astype(np.float64) @ np.abs(B)
    rounded = tf32(A).astype(np.float64) @ tf32(B)
    assert (np.abs(got - rounded) <= k * 2.0 ** -23 * magnitude + 1e-30).all()
    assert (np.abs(got - A.astype(np.float64) @ B) <= tf32_bound(A, B) + 1e-30).all()


def test_set_tf32_sends_dense_layers_through_the_tensor_cores():
    import minivae.functional as F
    from tf32_reference import tf32_bound
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((300, 500)).astype(np.float32), rng.standard_normal((500, 70)).astype(np.float32)
    exact = x.astype(np.float64) @ w
    fp32 = F.dense(mv.tensor(x, device="cuda"), mv.tensor(w, device="cuda")).numpy()
    mv.set_tf32(True)
    try:
        coarse = F.dense(mv.tensor(x, device="cuda"), mv.tensor(w, device="cuda")).numpy()
    finally:
        mv.set_tf32(False)
    assert (np.abs(coarse - exact) <= tf32_bound(x, w)).all()
    assert np.abs(coarse - exact).max() > 10 * np.abs(fp32 - exact).max()   # the TF32 path was taken
