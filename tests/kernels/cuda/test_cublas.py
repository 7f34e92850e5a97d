"""kernels/cuda/cublas.py and products.py on the CPU: the arguments handed to cuBLAS, read
with BLAS's own column-major rules (a NumPy stand-in for cublasSgemm), give op(A) @ op(B)
for every transpose; and which library a product goes to, eagerly and inside a capture."""
import types

import numpy as np
import pytest
from fake_cupy import forget_kernels, install

import minivae as mv


def _column_major(flat, rows, cols, ld):
    """The (rows x cols) column-major matrix with leading dimension ld over a flat buffer."""
    return flat[:ld * cols].reshape(cols, ld).T[:rows]


class FakeCublas:
    """cublasSgemm_v2 and cublasDgemm_v2 as BLAS defines them, on arrays named by fake pointers."""

    def __init__(self, arrays):
        self.arrays, self.calls, self.workspaces, self.math = arrays, [], 0, 0

    def cublasSetStream_v2(self, handle, stream):
        return 0

    def cublasSetWorkspace_v2(self, handle, pointer, size):
        self.workspaces += 1
        return 0

    def cublasSetMathMode(self, handle, mode):
        self.math = mode
        return 0

    def _gemm(self, handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        self.calls.append((transa, transb, m, n, k, lda, ldb, ldc, self.math))
        A, B, C = (self.arrays[p.value].reshape(-1) for p in (a, b, c))
        op_a = _column_major(A, k, m, lda).T if transa else _column_major(A, m, k, lda)
        op_b = _column_major(B, n, k, ldb).T if transb else _column_major(B, k, n, ldb)
        out = alpha._obj.value * (op_a @ op_b)
        _column_major(C, m, n, ldc)[...] = out
        return 0

    cublasSgemm_v2 = cublasDgemm_v2 = _gemm


@pytest.fixture
def fake(monkeypatch):
    cp = install(monkeypatch)
    from minivae.kernels.cuda import cublas
    arrays = {}

    def pointer(array):
        arrays[id(array)] = array
        return id(array)
    library = FakeCublas(arrays)
    monkeypatch.setattr(cublas, "_ptr", pointer)
    monkeypatch.setattr(cublas, "_library", lambda: library)
    monkeypatch.setattr(cublas, "_workspaces", {})
    cp.cuda.device = types.SimpleNamespace(get_cublas_handle=lambda: 12345)
    cp.cuda.get_current_stream().ptr = 0
    yield types.SimpleNamespace(cp=cp, library=library, cublas=cublas)
    forget_kernels()


@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("m, k, n", [(5, 3, 4), (1, 7, 1), (64, 65, 33)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cublas_gets_the_transposed_product_and_writes_c_in_place(fake, trans_a, trans_b, m, k, n, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    out = fake.cublas.gemm(a, b, trans_a, trans_b)
    want = (a.T if trans_a else a) @ (b.T if trans_b else b)
    assert out.shape == (m, n) and out.dtype == dtype
    np.testing.assert_allclose(out, want, **({"rtol": 1e-5, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}))
    assert fake.library.calls[0][2:5] == (n, m, k)   # C^T = op(B)^T op(A)^T
    fake.cublas.gemm(a, b, trans_a, trans_b)
    assert fake.library.workspaces == 1              # set once per handle


@pytest.mark.parametrize("dtype, tf32, mode", [(np.float32, True, 3), (np.float32, False, 0), (np.float64, True, 0)])
def test_tf32_math_is_set_for_the_call_alone(fake, dtype, tf32, mode):
    """CUBLAS_TF32_TENSOR_OP_MATH (3) for a float32 product asked in TF32, never for float64;
    the shared handle is left at the default math (0) after."""
    a, b = np.ones((3, 4), dtype), np.ones((4, 2), dtype)
    fake.cublas.gemm(a, b, tf32=tf32)
    assert fake.library.calls[-1][-1] == mode and fake.library.math == 0


def test_empty_products_call_nothing_and_refuse_mismatched_shapes(fake):
    assert fake.cublas.gemm(np.ones((0, 3)), np.ones((3, 2))).shape == (0, 2)
    np.testing.assert_array_equal(fake.cublas.gemm(np.ones((2, 0)), np.ones((0, 3))), np.zeros((2, 3)))
    assert fake.library.calls == []
    with pytest.raises(ValueError, match="inner dimensions differ"):
        fake.cublas.gemm(np.ones((2, 3)), np.ones((4, 2)))


def test_which_library_makes_a_product(fake):
    from minivae.kernels.cuda.products import CUBLAS_FLOPS, route
    big = int(round((CUBLAS_FLOPS / 2) ** (1 / 3))) + 1
    assert route(big, big, big) == "cupy"               # eagerly: CuPy's cuBLAS
    fake.cp.capturing = True
    try:
        assert route(big, big, big) == "own"            # in a capture, by default: ours
        mv.set_graph_gemm("cublas")
        assert route(big, big, big) == "cublas" and route(8, 8, 8) == "own"
        mv.set_tf32(True)
        assert route(big, big, big) == "cublas" and route(8, 8, 8) == "own"   # cuBLAS's TF32 for the big ones
        mv.set_graph_gemm("own")
        assert route(big, big, big) == "own"            # by default TF32 is ours
        fake.cp.capturing = False
        assert route(big, big, big) == "own"            # eagerly too: CuPy's matmul would not round to TF32
    finally:
        mv.set_tf32(False)
        mv.set_graph_gemm("own")
        fake.cp.capturing = False
    with pytest.raises(ValueError, match="set_graph_gemm: library must be one of"):
        mv.set_graph_gemm("magma")
