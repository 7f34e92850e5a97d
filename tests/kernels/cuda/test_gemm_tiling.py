"""The index arithmetic of fused.cu's gemm_bias_act, replayed in NumPy on the CPU: the same
tile loads (with their orientation-dependent thread layouts and bounds) and the same
thread -> output mapping, checked against A @ B. It runs without a GPU; test_gemm.py runs
the kernel itself where there is one. Keep the formulas here in step with the kernel."""
import numpy as np
import pytest

BM = BN = 64
BK, THREADS = 16, 256


def replay(A, B, M, N, K, ta, tb):
    lda, ldb = A.shape[1], B.shape[1]
    a, b = A.reshape(-1), B.reshape(-1)
    C = np.full((M, N), np.nan)
    l = np.arange(1024)
    tx, ty = np.arange(THREADS) % 16, np.arange(THREADS) // 16
    for by in range((M + BM - 1) // BM):
        for bx in range((N + BN - 1) // BN):
            row0, col0 = by * BM, bx * BN
            acc = np.zeros((THREADS, 4, 4))
            for k0 in range(0, K, BK):
                As, Bs = np.zeros((16, 65)), np.zeros((16, 65))
                i, k = (l % 64, l // 64) if ta else (l // 16, l % 16)
                gi, gk = row0 + i, k0 + k
                ok = (gi < M) & (gk < K)
                As[k[ok], i[ok]] = a[((gk * lda + gi) if ta else (gi * lda + gk))[ok]]
                j, k = (l // 16, l % 16) if tb else (l % 64, l // 64)
                gj, gk = col0 + j, k0 + k
                ok = (gj < N) & (gk < K)
                Bs[k[ok], j[ok]] = b[((gj * ldb + gk) if tb else (gk * ldb + gj))[ok]]
                for kk in range(BK):
                    av = np.stack([As[kk, ty + 16 * r] for r in range(4)], 1)
                    bv = np.stack([Bs[kk, tx + 16 * c] for c in range(4)], 1)
                    acc += av[:, :, None] * bv[:, None, :]
            for r in range(4):
                for c in range(4):
                    i, j = row0 + ty + 16 * r, col0 + tx + 16 * c
                    ok = (i < M) & (j < N)
                    C[i[ok], j[ok]] = acc[ok, r, c]
    return C


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (7, 20, 50), (65, 17, 63), (130, 33, 1)])
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tiles_cover_every_output_once_with_the_right_sum(m, k, n, ta, tb):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((k, m) if ta else (m, k))
    B = rng.standard_normal((n, k) if tb else (k, n))
    want = (A.T if ta else A) @ (B.T if tb else B)
    np.testing.assert_allclose(replay(A, B, m, n, k, ta, tb), want, rtol=1e-12, atol=1e-12)
