"""The index arithmetic of gemm.cu's gemm_bias_act (and of gemm_tf32_bias_act), replayed in NumPy on the CPU: the same
tile loads (with their orientation-dependent thread layouts and bounds) and the same
thread -> output mapping, checked against A @ B. It runs without a GPU; test_gemm.py runs
the kernel itself where there is one. Keep the formulas here in step with the kernel."""
import numpy as np
import pytest
from tf32_reference import tf32, tf32_bound

BM = BN = 64
BK, THREADS = 16, 256


def slices(K, chunk):
    """The K range of each grid.z slice: [z chunk, min(K, (z + 1) chunk))."""
    chunk = chunk or max(K, 1)
    return [(lo, min(K, lo + chunk)) for lo in range(0, max(K, 1), chunk)]


def split_k_sum(partial):
    """gemm_split_k_sum: the slices' partial tiles added in slice order."""
    total = np.zeros(partial.shape[1:])
    for p in partial:
        total = total + p
    return total


def tile_loads(a, b, row0, col0, k0, k_hi, M, N, lda, ldb, ta, tb):
    """What a block's threads load for one step of K, in both kernels: flat thread slots
    l < 1024 laid out by orientation, as ((row, k, value) of A's tile, (column, k, value) of
    B's), the out-of-range ones (zeros in shared memory) left out."""
    l = np.arange(1024)
    i, ka = (l % 64, l // 64) if ta else (l // 16, l % 16)
    gi, gk = row0 + i, k0 + ka
    ok_a = (gi < M) & (gk < k_hi)
    va = a[((gk * lda + gi) if ta else (gi * lda + gk))[ok_a]]
    j, kb = (l // 16, l % 16) if tb else (l % 64, l // 64)
    gj, gk = col0 + j, k0 + kb
    ok_b = (gj < N) & (gk < k_hi)
    vb = b[((gj * ldb + gk) if tb else (gk * ldb + gj))[ok_b]]
    return (i[ok_a], ka[ok_a], va), (j[ok_b], kb[ok_b], vb)


def tiles(M, N):
    """Each block's (first row, first column): every tile on grid.x, numbered down the
    columns (gemm.cu's gemm_tile)."""
    rows = (M + BM - 1) // BM
    for bx in range(rows * ((N + BN - 1) // BN)):
        yield bx % rows * BM, bx // rows * BN


def replay(A, B, M, N, K, ta, tb, chunk=None):
    lda, ldb = A.shape[1], B.shape[1]
    a, b = A.reshape(-1), B.reshape(-1)
    ranges = slices(K, chunk)
    P = np.full((len(ranges), M, N), np.nan)
    tx, ty = np.arange(THREADS) % 16, np.arange(THREADS) // 16
    for row0, col0 in tiles(M, N):
        for bz, (k_lo, k_hi) in enumerate(ranges):
            acc = np.zeros((THREADS, 4, 4))
            for k0 in range(k_lo, k_hi, BK):
                As, Bs = np.zeros((16, 65)), np.zeros((16, 65))
                (i, ka, va), (j, kb, vb) = tile_loads(a, b, row0, col0, k0, k_hi, M, N, lda, ldb, ta, tb)
                As[ka, i], Bs[kb, j] = va, vb
                for kk in range(BK):
                    av = np.stack([As[kk, ty + 16 * r] for r in range(4)], 1)
                    bv = np.stack([Bs[kk, tx + 16 * c] for c in range(4)], 1)
                    acc += av[:, :, None] * bv[:, None, :]
            for r in range(4):
                for c in range(4):
                    i, j = row0 + ty + 16 * r, col0 + tx + 16 * c
                    ok = (i < M) & (j < N)
                    P[bz, i[ok], j[ok]] = acc[ok, r, c]
    return split_k_sum(P)


CASES = [(1, 1, 1, None), (7, 20, 50, None), (65, 17, 63, None), (130, 33, 1, None), (3, 0, 2, None),
         (65, 100, 63, 32), (7, 50, 3, 16), (2, 47, 70, 16)]   # the last three split K


@pytest.mark.parametrize("m, k, n, chunk", CASES)
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tiles_cover_every_output_once_with_the_right_sum(m, k, n, chunk, ta, tb):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((k, m) if ta else (m, k))
    B = rng.standard_normal((n, k) if tb else (k, n))
    want = (A.T if ta else A) @ (B.T if tb else B)
    np.testing.assert_allclose(replay(A, B, m, n, k, ta, tb, chunk), want, rtol=1e-12, atol=1e-12)


def mma_m16n8k8(a, b):
    """mma.sync.m16n8k8.row.col for one warp as the PTX ISA lays out its fragments: a[lane, r]
    holds A[g + 8 (r % 2), t + 4 (r // 2)], b[lane, r] holds B[t + 4 r, g], and the result's
    d[lane, r] is D[g + 8 (r // 2), 2 t + r % 2], with g = lane // 4, t = lane % 4."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    A, B = np.zeros((16, 8)), np.zeros((8, 8))
    for r in range(4):
        A[g + 8 * (r % 2), t + 4 * (r // 2)] = a[:, r]
    for r in range(2):
        B[t + 4 * r, g] = b[:, r]
    D = A.astype(np.float64) @ B
    return np.stack([D[g + 8 * (r // 2), 2 * t + r % 2] for r in range(4)], 1)


def replay_tf32(A, B, M, N, K, ta, tb, chunk=None):
    lda, ldb = A.shape[1], B.shape[1]
    a, b = A.reshape(-1), B.reshape(-1)
    ranges = slices(K, chunk)
    P = np.full((len(ranges), M, N), np.nan)
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    for row0, col0 in tiles(M, N):
        for bz, (k_lo, k_hi) in enumerate(ranges):
            acc = np.zeros((4, 2, 4, 32, 4))   # warp, mi, ni, lane, r
            for k0 in range(k_lo, k_hi, BK):
                As, Bs = np.zeros((64, 20)), np.zeros((16, 72))
                (i, ka, va), (j, kb, vb) = tile_loads(a, b, row0, col0, k0, k_hi, M, N, lda, ldb, ta, tb)
                As[i, ka], Bs[kb, j] = va, vb
                As, Bs = tf32(As), tf32(Bs)
                for warp in range(4):
                    wm, wn = (warp // 2) * 32, (warp % 2) * 32
                    for kk in (0, 8):
                        for mi in range(2):
                            r = wm + 16 * mi + g
                            fa = np.stack([As[r, kk + t], As[r + 8, kk + t], As[r, kk + t + 4],
                                           As[r + 8, kk + t + 4]], 1)
                            for ni in range(4):
                                c = wn + 8 * ni + g
                                fb = np.stack([Bs[kk + t, c], Bs[kk + t + 4, c]], 1)
                                acc[warp, mi, ni] += mma_m16n8k8(fa, fb)
            for warp in range(4):
                wm, wn = (warp // 2) * 32, (warp % 2) * 32
                for mi in range(2):
                    for ni in range(4):
                        for r in range(4):
                            i = row0 + wm + 16 * mi + g + 8 * (r // 2)
                            j = col0 + wn + 8 * ni + 2 * t + r % 2
                            ok = (i < M) & (j < N)
                            P[bz, i[ok], j[ok]] = acc[warp, mi, ni, ok, r]
    return split_k_sum(P)


@pytest.mark.parametrize("m, k, n, chunk", CASES)
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tf32_fragments_cover_every_output_once_with_the_right_sum(m, k, n, chunk, ta, tb):
    """Exact in float64 arithmetic: the product of the TF32-rounded inputs."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    B = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    want = tf32(A.T if ta else A).astype(np.float64) @ tf32(B.T if tb else B)
    np.testing.assert_allclose(replay_tf32(A, B, m, n, k, ta, tb, chunk), want, rtol=1e-12, atol=1e-12)


def test_tf32_rounding_and_its_error_bound():
    x = np.array([1.0, 1 + 2.0 ** -11, 1 + 2.0 ** -10 + 2.0 ** -11, -(1 + 2.0 ** -11), 3.0e38], np.float32)
    np.testing.assert_array_equal(tf32(x), np.array([1.0, 1 + 2.0 ** -10, 1 + 2.0 ** -9, -(1 + 2.0 ** -10),
                                                      tf32(np.float32(3.0e38))], np.float32))   # ties away
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((50, 300)).astype(np.float32), rng.standard_normal((300, 40)).astype(np.float32)
    rounded = tf32(A).astype(np.float64) @ tf32(B)
    err = np.abs(rounded - A.astype(np.float64) @ B)
    assert (err <= tf32_bound(A, B)).all()
    assert err.max() > 1e-4 * np.abs(rounded).max() / 10   # TF32 is visibly coarser than fp32
