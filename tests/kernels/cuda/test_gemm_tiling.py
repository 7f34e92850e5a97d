"""The index arithmetic of gemm.cu's GEMMs replayed in NumPy on the CPU, checked against
A @ B. gemm_bias_act: its tiles (gemm_tile), its staged loads (StagedTile: which run of 4
each thread loads, the interior fast path and its alignment, the edge path's zeros), its two
shared buffers, each thread's 8 x 8 outputs (own), and the shared-memory banks its warps hit.
gemm_tf32_bias_act: its tile loads and mma.sync fragments. It runs without a GPU; test_gemm.py
runs the kernels themselves where there is one. Keep the formulas here in step with the kernels."""
import numpy as np
import pytest
from tf32_reference import tf32, tf32_bound

TILES = [(128, 128), (128, 64), (64, 64)]
BK = 8


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


def tiles(M, N, BM=64, BN=64):
    """Each block's (first row, first column): every tile on grid.x, numbered down the
    columns (gemm.cu's gemm_tile)."""
    rows = (M + BM - 1) // BM
    for bx in range(rows * ((N + BN - 1) // BN)):
        yield bx % rows * BM, bx // rows * BN


def slots(X, threads, along_x):
    """StagedTile::slot for every thread and run q, flattened as l = thread + q threads:
    the run's first (x, k) in the X x 8 tile."""
    l = np.arange(X * BK // 4)
    assert len(l) % threads == 0   # every thread has LOADS runs
    return (l % (X // 4) * 4, l // (X // 4)) if along_x else (l // 2, l % 2 * 4)


def fetch(P, ld, x0, x_end, k0, k_hi, aligned, X, threads, along_x):
    """StagedTile::fetch: each run's 4 elements, (runs, 4), and whether it took the fast path."""
    x, k = slots(X, threads, along_x)
    e = np.arange(4)
    xe, ke = (x[:, None] + e, k[:, None] + 0 * e) if along_x else (x[:, None] + 0 * e, k[:, None] + e)
    xe, ke = xe + x0, ke + k0
    address = ke * ld + xe if along_x else xe * ld + ke
    inside = aligned and x0 + X <= x_end and k0 + BK <= k_hi
    if inside:   # no bounds checks: every element must be in range, each run one aligned 128-bit load
        assert (xe < x_end).all() and (ke < k_hi).all()
        assert (address[:, 0] % 4 == 0).all() and (np.diff(address, axis=1) == 1).all()
        return P[address], True
    ok = (xe < x_end) & (ke < k_hi)
    return np.where(ok, P[np.where(ok, address, 0)], 0.0), False


def put(S, r, X, threads, along_x):
    """StagedTile::put into S[k][x] (rows padded to X + 4)."""
    x, k = slots(X, threads, along_x)
    for e in range(4):
        S[(k, x + e) if along_x else (k + e, x)] = r[:, e]


def own(BX, t, e):
    """A thread's e-th row (or column) of its 8."""
    return np.where(e < 4, 0, BX // 2 - 4) + 4 * t + e


def replay(A, B, M, N, K, ta, tb, BM=64, BN=64, chunk=None, base_aligned=True, paths=None):
    """gemm_bias_act as the kernel runs it, block by block, step by step."""
    threads = BM * BN // 64
    lda, ldb = A.shape[1], B.shape[1]
    a, b = A.reshape(-1), B.reshape(-1)
    a_aligned, b_aligned = base_aligned and lda % 4 == 0, base_aligned and ldb % 4 == 0
    ranges = slices(K, chunk)
    P = np.full((len(ranges), M, N), np.nan)
    tx, ty = np.arange(threads) % (BN // 8), np.arange(threads) // (BN // 8)
    rows, cols = own(BM, ty[:, None], np.arange(8)), own(BN, tx[:, None], np.arange(8))
    for row0, col0 in tiles(M, N, BM, BN):
        for bz, (k_lo, k_hi) in enumerate(ranges):
            As, Bs = np.full((2, BK, BM + 4), np.nan), np.full((2, BK, BN + 4), np.nan)   # unwritten: NaN

            def stage(k0):
                ra, fast_a = fetch(a, lda, row0, M, k0, k_hi, a_aligned, BM, threads, ta)
                rb, fast_b = fetch(b, ldb, col0, N, k0, k_hi, b_aligned, BN, threads, not tb)
                if paths is not None:
                    paths.update({("a", fast_a), ("b", fast_b)})
                return ra, rb

            acc = np.zeros((threads, 8, 8))
            if k_lo < k_hi:
                ra, rb = stage(k_lo)
                put(As[0], ra, BM, threads, ta)
                put(Bs[0], rb, BN, threads, not tb)
            buf = 0
            for k0 in range(k_lo, k_hi, BK):
                more = k0 + BK < k_hi
                if more:
                    ra, rb = stage(k0 + BK)
                for k in range(BK):
                    acc += As[buf, k][rows][:, :, None] * Bs[buf, k][cols][:, None, :]
                if more:
                    put(As[buf ^ 1], ra, BM, threads, ta)
                    put(Bs[buf ^ 1], rb, BN, threads, not tb)
                buf ^= 1
            i, j = row0 + rows[:, :, None], col0 + cols[:, None, :]
            i, j = np.broadcast_to(i, acc.shape), np.broadcast_to(j, acc.shape)
            ok = (i < M) & (j < N)
            assert np.isnan(P[bz, i[ok], j[ok]]).all()   # each output written once
            P[bz, i[ok], j[ok]] = acc[ok]
    return split_k_sum(P)


CASES = [(1, 1, 1, None), (7, 20, 50, None), (65, 17, 63, None), (130, 33, 1, None), (3, 0, 2, None),
         (65, 100, 63, 32), (7, 50, 3, 16), (2, 47, 70, 16), (200, 36, 136, None), (129, 20, 257, 16)]
# the last but four to one split K; the last two have interior tiles


@pytest.mark.parametrize("bm, bn", TILES)
@pytest.mark.parametrize("m, k, n, chunk", CASES)
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tiles_cover_every_output_once_with_the_right_sum(bm, bn, m, k, n, chunk, ta, tb):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((k, m) if ta else (m, k))
    B = rng.standard_normal((n, k) if tb else (k, n))
    want = (A.T if ta else A) @ (B.T if tb else B)
    np.testing.assert_allclose(replay(A, B, m, n, k, ta, tb, bm, bn, chunk), want, rtol=1e-12, atol=1e-12)


STEP = [(784, 400), (400, 20), (400, 40), (20, 400), (400, 784), (784, 200), (200, 200), (200, 100), (50, 100)]
# (inputs, outputs) of the VAE step's (784-400-20) and the IWAE step's (784-200-200-50) layers


@pytest.mark.parametrize("d_in, d_out", STEP)
@pytest.mark.parametrize("bm, bn", TILES)
def test_every_product_of_the_steps_layers(d_in, d_out, bm, bn):
    """A dense layer's three products at batch 136 (a partial tile of rows): the forward
    x W, the data gradient g W^T and the weight gradient x^T g, split K included; both load
    paths taken."""
    rng = np.random.default_rng(d_in + d_out)
    batch = 136
    x, w, g = rng.standard_normal((batch, d_in)), rng.standard_normal((d_in, d_out)), rng.standard_normal((batch, d_out))
    paths = set()
    for A, B, ta, tb, want, chunk in [(x, w, False, False, x @ w, None), (g, w, False, True, g @ w.T, None),
                                      (x, g, True, False, x.T @ g, 64)]:
        m, n = want.shape
        got = replay(A, B, m, n, A.shape[0] if ta else A.shape[1], ta, tb, bm, bn, chunk, paths=paths)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert {("a", True), ("a", False), ("b", False)} <= paths


@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_unaligned_operands_take_the_edge_path_and_still_sum_right(ta, tb):
    """A leading dimension not a multiple of 4, or a base pointer off 16 bytes: no 128-bit
    loads, element by element everywhere."""
    rng = np.random.default_rng(3)
    for m, k, n, base in [(130, 37, 70, True), (128, 64, 128, False)]:
        A = rng.standard_normal((k, m) if ta else (m, k))
        B = rng.standard_normal((n, k) if tb else (k, n))
        paths = set()
        got = replay(A, B, m, n, k, ta, tb, 64, 64, base_aligned=base, paths=paths)
        np.testing.assert_allclose(got, (A.T if ta else A) @ (B.T if tb else B), rtol=1e-12, atol=1e-12)
        assert ("a", True) not in paths and ("b", True) not in paths


def conflicts(words, width):
    """Bank conflicts of one warp's shared access, ``width`` 4-byte words a thread: the extra
    passes it needs. 128-bit accesses go a quarter-warp (8 threads) at a time, 64-bit a
    half-warp; within a pass, distinct words in one bank conflict, one word is broadcast."""
    group = 32 // width
    extra = 0
    for start in range(0, 32, group):
        touched = {w + e for w in words[start:start + group] for e in range(width)}
        banks = [w % 32 for w in touched]
        extra += max(banks.count(bank) for bank in set(banks)) - 1
    return extra


@pytest.mark.parametrize("bm, bn", TILES)
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_warps_shared_accesses_hit_distinct_banks(bm, bn, ta, tb):
    """float32 words: each k's four 128-bit loads (As at own rows, Bs at own columns) and the
    staged stores into shared memory, warp by warp, need one pass each."""
    threads = bm * bn // 64
    tx, ty = np.arange(threads) % (bn // 8), np.arange(threads) // (bn // 8)
    for warp in range(threads // 32):
        lanes = slice(32 * warp, 32 * warp + 32)
        for k in range(BK):
            for e in (0, 4):
                assert conflicts(list(k * (bm + 4) + own(bm, ty[lanes], e)), 4) == 0
                assert conflicts(list(k * (bn + 4) + own(bn, tx[lanes], e)), 4) == 0
        for X, along_x in ((bm, ta), (bn, not tb)):
            x, kk = slots(X, threads, along_x)
            for q in range(len(x) // threads):
                run = slice(q * threads + 32 * warp, q * threads + 32 * warp + 32)
                if along_x:
                    assert conflicts(list(kk[run] * (X + 4) + x[run]), 4) == 0
                else:
                    for e in range(4):
                        assert conflicts(list((kk[run] + e) * (X + 4) + x[run]), 1) == 0


def test_the_bank_count_sees_a_conflict():
    """The measure on cases it must refuse: a column of a 128-wide unpadded tile (every word
    in bank 0), and 128-bit loads strided by 32 words."""
    assert conflicts([k * 128 for k in range(32)], 1) == 31
    assert conflicts([32 * t for t in range(32)], 4) == 4 * 7
    assert conflicts([0] * 32, 4) == 0 and conflicts(list(range(32)), 1) == 0


TF32_TILE, TF32_K, STAGES = 128, 16, 3


def swizzled(x, k, along_x):
    """gemm.cu's swizzled: the word of element (x, k) in a stage's 128 x 16 operand tile."""
    if along_x:
        return k * TF32_TILE + (((x >> 2) ^ ((k & 3) << 1)) << 2) + (x & 3)
    return x * TF32_K + (((k >> 2) ^ ((x >> 1) & 3)) << 2) + (k & 3)


def stage_copies(P, ld, x0, x_end, k0, k_hi, aligned, along_x):
    """tf32_stage_copies: the (words, values) a step's copies write into a stage, zeros where
    cp.async zero-fills; each element read lies inside the operand, each 16-byte copy's
    source is aligned, and the 2048 words are written once each."""
    l = np.arange(512)
    x, k = (l % 32 * 4, l // 32) if along_x else (l // 4, l % 4 * 4)
    gx, gk = x0 + x, k0 + k
    valid = (np.where(gk < k_hi, np.clip(x_end - gx, 0, 4), 0) if along_x
             else np.where(gx < x_end, np.clip(k_hi - gk, 0, 4), 0))
    start = np.where(valid > 0, gk * ld + gx if along_x else gx * ld + gk, 0)
    if aligned:
        assert (start % 4 == 0).all()
    words, values = [], []
    for e in range(4):
        xe, ke = (x + e, k) if along_x else (x, k + e)
        ok = e < valid
        assert (x0 + xe[ok] < x_end).all() and (k0 + ke[ok] < k_hi).all()
        words.append(swizzled(xe, ke, along_x))
        values.append(np.where(ok, P[np.where(ok, start + e, 0)], 0.0))
    words = np.concatenate(words)
    assert np.array_equal(np.sort(words), np.arange(TF32_TILE * TF32_K))
    return words, np.concatenate(values)


def mma_m16n8k8(a, b):
    """mma.sync.m16n8k8.row.col for one warp as the PTX ISA lays out its fragments: a[..., lane, r]
    holds A[g + 8 (r % 2), t + 4 (r // 2)], b[..., lane, r] holds B[t + 4 r, g], and the result's
    d[..., lane, r] is D[g + 8 (r // 2), 2 t + r % 2], with g = lane // 4, t = lane % 4; any
    leading axes are separate mma tiles."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    A, B = np.zeros(a.shape[:-2] + (16, 8)), np.zeros(b.shape[:-2] + (8, 8))
    for r in range(4):
        A[..., g + 8 * (r % 2), t + 4 * (r // 2)] = a[..., r]
    for r in range(2):
        B[..., t + 4 * r, g] = b[..., r]
    D = A.astype(np.float64) @ B
    return np.stack([D[..., g + 8 * (r // 2), 2 * t + r % 2] for r in range(4)], -1)


def warp_fragments(As, Bs, warp, kk, ta, tb):
    """The A fragments (4, 32, 4) and B fragments (8, 32, 2) a warp reads for the k8 step at
    kk, as words of the stage's A and B tiles."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    wm, wn = (warp // 2) * 64, (warp % 2) * 64
    a = np.stack([np.stack([swizzled(wm + 16 * mi + g + 8 * (r % 2), kk + t + 4 * (r // 2), ta) for r in range(4)], -1)
                  for mi in range(4)])
    b = np.stack([np.stack([swizzled(wn + 8 * ni + g, kk + t + 4 * r, not tb) for r in range(2)], -1)
                  for ni in range(8)])
    return a, b


def replay_tf32(A, B, M, N, K, ta, tb, chunk=None, aligned=True, land="late"):
    """gemm_tf32_bias_act as the kernel runs it. A step's copies land at the wait that
    covers them (``land="late"``) or as soon as they are issued ("early"): a correct
    pipeline gives the same sum either way."""
    lda, ldb = A.shape[1], B.shape[1]
    a, b = A.reshape(-1), B.reshape(-1)
    P = np.full((len(slices(K, chunk)), M, N), np.nan)
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    for row0, col0 in tiles(M, N, TF32_TILE, TF32_TILE):
        for bz, (k_lo, k_hi) in enumerate(slices(K, chunk)):
            steps = -(-max(k_hi - k_lo, 0) // TF32_K)
            stages = np.full((STAGES, 2, TF32_TILE * TF32_K), np.nan)
            pending, reading = [], None

            def issue(step):
                group = []
                if step < steps:
                    s, k0 = step % STAGES, k_lo + step * TF32_K
                    assert s != reading   # never into the stage being multiplied
                    group = [(s, 0, *stage_copies(a, lda, row0, M, k0, k_hi, aligned, ta)),
                             (s, 1, *stage_copies(b, ldb, col0, N, k0, k_hi, aligned, not tb))]
                pending.append(group)
                if land == "early":
                    wait(0)

            def wait(newest):
                while len(pending) > newest:
                    for s, o, words, values in pending.pop(0):
                        stages[s, o, words] = values

            acc = np.zeros((4, 4, 8, 32, 4))   # warp, mi, ni, lane, r
            for step in range(STAGES - 1):
                issue(step)
            for step in range(steps):
                wait(STAGES - 2)
                reading = None
                issue(step + STAGES - 1)
                reading = step % STAGES
                As, Bs = tf32(stages[reading, 0]), tf32(stages[reading, 1])
                for warp in range(4):
                    for kk in (0, 8):
                        fa, fb = warp_fragments(As, Bs, warp, kk, ta, tb)
                        acc[warp] += mma_m16n8k8(As[fa][:, None], Bs[fb][None, :])
            wait(0)
            for warp in range(4):
                wm, wn = (warp // 2) * 64, (warp % 2) * 64
                for mi in range(4):
                    for ni in range(8):
                        for r in range(4):
                            i = row0 + wm + 16 * mi + g + 8 * (r // 2)
                            j = col0 + wn + 8 * ni + 2 * t + r % 2
                            ok = (i < M) & (j < N)
                            assert np.isnan(P[bz, i[ok], j[ok]]).all()
                            P[bz, i[ok], j[ok]] = acc[warp, mi, ni, ok, r]
    return split_k_sum(P)


@pytest.mark.parametrize("m, k, n, chunk", CASES + [(160, 40, 136, None), (130, 70, 129, 32)])
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tf32_fragments_cover_every_output_once_with_the_right_sum(m, k, n, chunk, ta, tb):
    """Exact in float64 arithmetic: the product of the TF32-rounded inputs; with the copies
    landing late or early, 16 or 4 bytes at a time."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    B = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    want = tf32(A.T if ta else A).astype(np.float64) @ tf32(B.T if tb else B)
    aligned = A.shape[1] % 4 == 0 and B.shape[1] % 4 == 0
    for land, copies in [("late", aligned), ("early", aligned), ("late", False)]:
        got = replay_tf32(A, B, m, n, k, ta, tb, chunk, copies, land)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False)])
def test_the_tf32_fragment_loads_and_copies_hit_distinct_banks(ta, tb):
    """Each fragment load of a warp (32 words, one a lane) touches 32 banks, and each
    quarter-warp's 16-byte copies fill 8 distinct bank groups: the swizzle does the work of
    padding."""
    for warp in range(4):
        for kk in (0, 8):
            fa, fb = warp_fragments(None, None, warp, kk, ta, tb)
            for words in [*fa.transpose(0, 2, 1).reshape(-1, 32), *fb.transpose(0, 2, 1).reshape(-1, 32)]:
                assert conflicts(list(words), 1) == 0
    for along_x in (True, False):
        l = np.arange(512)
        x, k = (l % 32 * 4, l // 32) if along_x else (l // 4, l % 4 * 4)
        for q in range(4):
            for warp in range(4):
                run = slice(q * 128 + 32 * warp, q * 128 + 32 * warp + 32)
                assert conflicts(list(swizzled(x[run], k[run], along_x)), 4) == 0


def test_without_the_swizzle_the_fragment_loads_conflict():
    """The bank count on the unswizzled layouts: 4-way on every fragment load."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    assert conflicts(list(g * TF32_K + t), 1) == 3            # [x][k], rows of 16
    assert conflicts(list(t * TF32_TILE + g), 1) == 3         # [k][x], rows of 128


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
