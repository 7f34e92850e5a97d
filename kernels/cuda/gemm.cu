// Our GEMM with the dense epilogue, in fp32/fp64 and on TF32 tensor cores (kernels/cuda/gemm.py).
#include "common.cuh"

// ---- GEMM with the dense epilogue: C = act(op(A) op(B) + bias) --------------------------
// Our own GEMM, so that a dense layer can be captured in a CUDA graph (CuPy refuses cuBLAS
// during stream capture). op(A) is A (M x K, row-major) or, with TA, the transpose of a
// K x M array, read in place; likewise op(B) (K x N, or N x K with TB).
// A BM x BN tile of C per block (128 x 128, 128 x 64 or 64 x 64: gemm.py picks), one thread
// per 8 x 8 outputs, the layout of Boehm's SGEMM kernel 10: rows 4 ty + {0..3} and
// BM/2 + 4 ty + {0..3}, columns likewise with tx, so that each k reads a thread's 8 + 8
// operands as four 128-bit shared loads, 64 FMAs for them, and the threads of a warp that
// read at once hit distinct banks or the same address.
// K in steps of 8 through two shared buffers: a thread loads the next step into registers
// before it multiplies the current one, then stores them into the other buffer, so the
// global loads are in flight during the arithmetic and a step needs one barrier.
// Interior fast path: a step whose operand tile lies wholly inside the operand, which is
// 16-byte aligned with a leading dimension a multiple of 4, loads 4 consecutive elements per
// instruction with no bounds checks; edge tiles load element by element, out-of-range ones
// as 0, so any M, N, K work.
// Grid: (tiles, 1, K slices), every output tile on x, whose limit is 2^31 - 1 (y and z
// stop at 65,535: a convolution's product of N oh ow columns passed 65,535 column tiles at a
// 28 x 28 output and batch 5,350); consecutive blocks walk down one column of tiles, so they
// share its B tile in L2 (gemm_tile). Split K: when the blocks are too few to fill the GPU and
// K is long (a weight gradient, K = the batch), slice z sums K in [z k_chunk, (z + 1) k_chunk)
// and, with more than one slice, writes its partial tile to C + z M N (a workspace);
// gemm_split_k_sum then adds the slices in order and applies the epilogue: no atomics, so
// the sum is the same on every run and the launches can be captured.
// The first row and column of this block's tile: tiles numbered down the columns.
template <int BM, int BN>
__device__ __forceinline__ void gemm_tile(int M, int& row0, int& col0) {
    const int rows = (M + BM - 1) / BM;
    row0 = (int)(blockIdx.x % rows) * BM;
    col0 = (int)(blockIdx.x / rows) * BN;
}

template <typename T>
__device__ __forceinline__ void gemm_store(T* C, T v, int i, int j, int M, int N, const T* bias, int has_bias,
                                           int act, T slope) {
    if (gridDim.z > 1) C[(long long)blockIdx.z * M * N + (long long)i * N + j] = v;   // a slice's partial sum
    else C[(long long)i * N + j] = activate(v + (has_bias ? bias[j] : T(0)), act, slope);
}

// Four consecutive elements, 16-byte aligned, in 128-bit loads (two for double): from global
// memory through the read-only cache, and from and to shared memory.
__device__ __forceinline__ void load4(const float* p, float* r) {
    const float4 q = __ldg(reinterpret_cast<const float4*>(p));
    r[0] = q.x, r[1] = q.y, r[2] = q.z, r[3] = q.w;
}
__device__ __forceinline__ void load4(const double* p, double* r) {
    const double2 q = __ldg(reinterpret_cast<const double2*>(p)), s = __ldg(reinterpret_cast<const double2*>(p + 2));
    r[0] = q.x, r[1] = q.y, r[2] = s.x, r[3] = s.y;
}
__device__ __forceinline__ void shared_load4(const float* p, float* r) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    r[0] = q.x, r[1] = q.y, r[2] = q.z, r[3] = q.w;
}
__device__ __forceinline__ void shared_load4(const double* p, double* r) {
    const double2 q = *reinterpret_cast<const double2*>(p), s = *reinterpret_cast<const double2*>(p + 2);
    r[0] = q.x, r[1] = q.y, r[2] = s.x, r[3] = s.y;
}
__device__ __forceinline__ void shared_store4(float* p, const float* r) {
    *reinterpret_cast<float4*>(p) = float4{r[0], r[1], r[2], r[3]};
}
__device__ __forceinline__ void shared_store4(double* p, const double* r) {
    *reinterpret_cast<double2*>(p) = double2{r[0], r[1]};
    *reinterpret_cast<double2*>(p + 2) = double2{r[2], r[3]};
}

// One operand's X x 8 tile for a step of K, staged in registers: element (x, k) of the
// operand (x a row of op(A) or a column of op(B)) is P[k ld + x] when x runs along memory
// (ALONG_X: A with TA, B without TB), else P[x ld + k]. Each thread takes LOADS runs of 4
// elements consecutive in memory: thread slot l holds x = 4 (l % (X/4)), k = l / (X/4) along
// x, or x = l / 2, k = 4 (l % 2) along k. Shared rows are padded by 4: 16-byte aligned, and
// the four stores of a run along k (k to k + 3, one column) fall in distinct banks.
template <typename T, int X, int THREADS, bool ALONG_X>
struct StagedTile {
    static constexpr int LOADS = X * 8 / (4 * THREADS);
    T r[LOADS][4];

    __device__ __forceinline__ static void slot(int q, int& x, int& k) {
        const int l = threadIdx.x + q * THREADS;
        x = ALONG_X ? l % (X / 4) * 4 : l / 2;
        k = ALONG_X ? l / (X / 4) : l % 2 * 4;
    }

    __device__ __forceinline__ void fetch(const T* P, int ld, int x0, int x_end, int k0, int k_hi, bool aligned) {
        const bool inside = aligned && x0 + X <= x_end && k0 + 8 <= k_hi;   // the same for the whole block
#pragma unroll
        for (int q = 0; q < LOADS; ++q) {
            int x, k;
            slot(q, x, k);
            x += x0, k += k0;
            if (inside) {
                load4(P + (ALONG_X ? (long long)k * ld + x : (long long)x * ld + k), r[q]);
                continue;
            }
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int xe = ALONG_X ? x + e : x, ke = ALONG_X ? k : k + e;
                r[q][e] = (xe < x_end && ke < k_hi) ? P[ALONG_X ? (long long)ke * ld + xe : (long long)xe * ld + ke]
                                                     : T(0);
            }
        }
    }

    __device__ __forceinline__ void put(T (*S)[X + 4]) const {
#pragma unroll
        for (int q = 0; q < LOADS; ++q) {
            int x, k;
            slot(q, x, k);
            if (ALONG_X) {
                shared_store4(&S[k][x], r[q]);
            } else {
#pragma unroll
                for (int e = 0; e < 4; ++e) S[k + e][x] = r[q][e];
            }
        }
    }
};

// A thread's e-th row (or column) of its 8: 4 t + e, then the same in the tile's second half.
template <int BX>
__device__ __forceinline__ int own(int t, int e) { return (e < 4 ? 0 : BX / 2 - 4) + 4 * t + e; }

template <typename T, bool TA, bool TB, int BM, int BN>
__global__ void __launch_bounds__(BM * BN / 64) gemm_bias_act(const T* A, const T* B, const T* bias, T* C, int M,
                                                              int N, int K, int lda, int ldb, int k_chunk,
                                                              int has_bias, int act, T slope) {
    constexpr int THREADS = BM * BN / 64;
    __shared__ __align__(16) T As[2][8][BM + 4];   // As[buffer][k][i]
    __shared__ __align__(16) T Bs[2][8][BN + 4];   // Bs[buffer][k][j]
    const int tx = threadIdx.x % (BN / 8), ty = threadIdx.x / (BN / 8);
    int row0, col0;
    gemm_tile<BM, BN>(M, row0, col0);
    const int k_lo = blockIdx.z * k_chunk, k_hi = min(K, k_lo + k_chunk);
    const bool a_aligned = (reinterpret_cast<unsigned long long>(A) & 15) == 0 && lda % 4 == 0;
    const bool b_aligned = (reinterpret_cast<unsigned long long>(B) & 15) == 0 && ldb % 4 == 0;
    StagedTile<T, BM, THREADS, TA> a_next;
    StagedTile<T, BN, THREADS, !TB> b_next;
    T acc[8][8];
#pragma unroll
    for (int r = 0; r < 8; ++r)
#pragma unroll
        for (int c = 0; c < 8; ++c) acc[r][c] = T(0);
    if (k_lo < k_hi) {
        a_next.fetch(A, lda, row0, M, k_lo, k_hi, a_aligned);
        b_next.fetch(B, ldb, col0, N, k_lo, k_hi, b_aligned);
        a_next.put(As[0]);
        b_next.put(Bs[0]);
    }
    __syncthreads();
    int buf = 0;
    for (int k0 = k_lo; k0 < k_hi; k0 += 8) {
        const bool more = k0 + 8 < k_hi;
        if (more) {   // the next step's loads, in flight during this step's arithmetic
            a_next.fetch(A, lda, row0, M, k0 + 8, k_hi, a_aligned);
            b_next.fetch(B, ldb, col0, N, k0 + 8, k_hi, b_aligned);
        }
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            T a[8], b[8];
            shared_load4(&As[buf][k][own<BM>(ty, 0)], a);
            shared_load4(&As[buf][k][own<BM>(ty, 4)], a + 4);
            shared_load4(&Bs[buf][k][own<BN>(tx, 0)], b);
            shared_load4(&Bs[buf][k][own<BN>(tx, 4)], b + 4);
#pragma unroll
            for (int r = 0; r < 8; ++r)
#pragma unroll
                for (int c = 0; c < 8; ++c) acc[r][c] += a[r] * b[c];
        }
        if (more) {   // nobody reads buf ^ 1 in this step: the last barrier ended its readers
            a_next.put(As[buf ^ 1]);
            b_next.put(Bs[buf ^ 1]);
        }
        __syncthreads();
        buf ^= 1;
    }
#pragma unroll
    for (int r = 0; r < 8; ++r) {
        const int i = row0 + own<BM>(ty, r);
#pragma unroll
        for (int c = 0; c < 8; ++c) {
            const int j = col0 + own<BN>(tx, c);
            if (i < M && j < N) gemm_store(C, acc[r][c], i, j, M, N, bias, has_bias, act, slope);
        }
    }
}

// The slices' partial sums (splits, M, N) added in slice order, then bias and activation.
template <typename T>
__global__ void gemm_split_k_sum(const T* partial, const T* bias, T* C, long long size, int N, int splits,
                                 int has_bias, int act, T slope) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;
         i += (long long)gridDim.x * blockDim.x) {
        T v = T(0);
        for (int s = 0; s < splits; ++s) v += partial[s * size + i];
        C[i] = activate(v + (has_bias ? bias[i % N] : T(0)), act, slope);
    }
}

// ---- the same GEMM on TF32 tensor cores (sm_80 and later), opt-in --------------------------
// Each input is rounded to TF32 (10 stored mantissa bits, cvt.rna: nearest, ties away), the
// products (11 x 11 significant bits) are exact and summed in fp32 by mma.sync.m16n8k8.
// Per element, with u = 2^-11 the TF32 unit roundoff and K the inner size, and 2^-23 per
// addition so that a truncating accumulator is covered too:
//     |C_tf32 - C|_ij <= (2u + u^2 + K 2^-23 (1 + u)^2) (|op(A)| |op(B)|)_ij
// The structure of CUTLASS's Ampere TF32 GEMM: a 128 x 128 tile of C per block of four warps,
// each warp 64 x 64 = 4 x 8 mma tiles (128 accumulators a thread); K in steps of 16 through
// three shared stages filled by cp.async, so that two steps' loads are in flight while one is
// multiplied. A stage holds each operand as it lies in memory, 4 elements (16 bytes) per copy:
// [x][k] rows of 16 when the operand runs along k, [k][x] rows of 128 when it runs along x
// (x a row of op(A) or a column of op(B)); the 16-byte chunks of a row are permuted by an
// XOR (swizzle, below) so that the fragment loads of a warp hit 32 distinct banks with no
// padding: 3 stages x 2 operands x 8 KiB = 48 KiB, the most a block may declare statically.
// Edges: a copy reads only the in-range prefix of its 4 elements and zero-fills the rest
// (cp.async's source size); an operand whose base is not 16-byte aligned or whose leading
// dimension is not a multiple of 4 is copied 4 bytes at a time. Older GPUs compile an empty
// body (the instructions do not exist there), so the module still builds for them;
// kernels/cuda/gemm.py refuses TF32 below sm_80.
__device__ __forceinline__ unsigned int to_tf32(float x) {
    unsigned int u = 0;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(u) : "f"(x));
#endif
    return u;
}

__device__ __forceinline__ void mma_tf32(float* d, const unsigned int* a, const unsigned int* b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// The shared-window address of a shared-memory pointer, which cp.async takes (cvta in PTX,
// so that NVRTC needs no header for it).
__device__ __forceinline__ unsigned int shared_address(const float* shared) {
    unsigned int to;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(to) : "l"(shared));
    return to;
}

// cp.async: copy `size` bytes (16 or 4) from global memory to the shared address `to`
// without passing through registers, reading only the first `valid` of them and
// zero-filling the rest.
template <int SIZE>
__device__ __forceinline__ void copy_async(unsigned int to, const float* global, int valid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if (SIZE == 16) asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(to), "l"(global), "r"(valid));
    else asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(to), "l"(global), "r"(valid));
#endif
}

__device__ __forceinline__ void copies_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;");
#endif
}

template <int PENDING>
__device__ __forceinline__ void copies_wait() {   // all but the newest PENDING groups have landed
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;" ::"n"(PENDING));
#endif
}

enum { TF32_TILE = 128, TF32_K = 16, TF32_STAGES = 3, TF32_THREADS = 128 };

// The word of element (x, k) in a stage's 128 x 16 operand tile. Along x: rows k of 128,
// chunk (x / 4) XOR 2 (k % 4); along k: rows x of 16, chunk (k / 4) XOR (x / 2) % 4. Either
// way a fragment load (lanes g = 0..7 on x, t = 0..3 on k) touches 8 distinct chunks mod 8.
template <bool ALONG_X>
__device__ __forceinline__ int swizzled(int x, int k) {
    return ALONG_X ? k * TF32_TILE + (((x >> 2) ^ ((k & 3) << 1)) << 2) + (x & 3)
                   : x * TF32_K + (((k >> 2) ^ ((x >> 1) & 3)) << 2) + (k & 3);
}

// Issue the copies of one operand's tile for the step at k0 into a stage: 512 chunks of 4,
// 4 a thread; chunk l holds x = 4 (l % 32), k = l / 32 along x, or x = l / 4, k = 4 (l % 4)
// along k.
template <bool ALONG_X>
__device__ __forceinline__ void tf32_stage_copies(float* S, const float* P, int ld, int x0, int x_end, int k0, int k_hi,
                                                  bool aligned) {
    const unsigned int base = shared_address(S);
#pragma unroll
    for (int q = 0; q < 4; ++q) {
        const int l = threadIdx.x + q * TF32_THREADS;
        const int x = ALONG_X ? l % 32 * 4 : l / 4, k = ALONG_X ? l / 32 : l % 4 * 4;
        const int gx = x0 + x, gk = k0 + k;
        const int valid = ALONG_X ? (gk < k_hi ? min(max(x_end - gx, 0), 4) : 0)
                                  : (gx < x_end ? min(max(k_hi - gk, 0), 4) : 0);
        const float* from = P + (valid ? (ALONG_X ? (long long)gk * ld + gx : (long long)gx * ld + gk) : 0);
        if (aligned) {
            copy_async<16>(base + 4 * swizzled<ALONG_X>(x, k), from, 4 * valid);
        } else {
#pragma unroll
            for (int e = 0; e < 4; ++e)
                copy_async<4>(base + 4 * swizzled<ALONG_X>(ALONG_X ? x + e : x, ALONG_X ? k : k + e),
                              e < valid ? from + e : P, e < valid ? 4 : 0);
        }
    }
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(128) gemm_tf32_bias_act(const float* A, const float* B, const float* bias, float* C,
                                                          int M, int N, int K, int lda, int ldb, int k_chunk,
                                                          int has_bias, int act, float slope) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(16) float stages[TF32_STAGES][2][TF32_TILE * TF32_K];   // [stage][A, B][swizzled]
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int wm = (warp / 2) * 64, wn = (warp % 2) * 64;
    int row0, col0;
    gemm_tile<TF32_TILE, TF32_TILE>(M, row0, col0);
    const int k_lo = blockIdx.z * k_chunk, k_hi = min(K, k_lo + k_chunk);
    const int steps = (max(k_hi - k_lo, 0) + TF32_K - 1) / TF32_K;
    const bool a_aligned = (reinterpret_cast<unsigned long long>(A) & 15) == 0 && lda % 4 == 0;
    const bool b_aligned = (reinterpret_cast<unsigned long long>(B) & 15) == 0 && ldb % 4 == 0;
    auto issue = [&](int step) {   // one commit group per step, empty past the end
        if (step < steps) {
            const int k0 = k_lo + step * TF32_K, s = step % TF32_STAGES;
            tf32_stage_copies<TA>(stages[s][0], A, lda, row0, M, k0, k_hi, a_aligned);
            tf32_stage_copies<!TB>(stages[s][1], B, ldb, col0, N, k0, k_hi, b_aligned);
        }
        copies_commit();
    };
    float acc[4][8][4];
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 8; ++ni)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[mi][ni][r] = 0.f;
#pragma unroll
    for (int step = 0; step < TF32_STAGES - 1; ++step) issue(step);
    for (int step = 0; step < steps; ++step) {
        copies_wait<TF32_STAGES - 2>();   // this thread's copies of `step` have landed
        __syncthreads();                  // everyone's have, and everyone is done with step - 1
        issue(step + TF32_STAGES - 1);    // into step - 1's stage
        const float* As = stages[step % TF32_STAGES][0];
        const float* Bs = stages[step % TF32_STAGES][1];
#pragma unroll
        for (int kk = 0; kk < TF32_K; kk += 8) {
            unsigned int a[4][4], b[8][2];
#pragma unroll
            for (int mi = 0; mi < 4; ++mi) {   // A fragment: rows g, g + 8; columns t, t + 4
                const int r = wm + 16 * mi + g;
                a[mi][0] = to_tf32(As[swizzled<TA>(r, kk + t)]);
                a[mi][1] = to_tf32(As[swizzled<TA>(r + 8, kk + t)]);
                a[mi][2] = to_tf32(As[swizzled<TA>(r, kk + t + 4)]);
                a[mi][3] = to_tf32(As[swizzled<TA>(r + 8, kk + t + 4)]);
            }
#pragma unroll
            for (int ni = 0; ni < 8; ++ni) {   // B fragment: rows t, t + 4; column g
                const int c = wn + 8 * ni + g;
                b[ni][0] = to_tf32(Bs[swizzled<!TB>(c, kk + t)]);
                b[ni][1] = to_tf32(Bs[swizzled<!TB>(c, kk + t + 4)]);
            }
#pragma unroll
            for (int mi = 0; mi < 4; ++mi)
#pragma unroll
                for (int ni = 0; ni < 8; ++ni) mma_tf32(acc[mi][ni], a[mi], b[ni]);
        }
    }
    copies_wait<0>();   // no copy outlives the block (the empty groups past the end)
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)   // C fragment: rows g, g + 8; columns 2t, 2t + 1
#pragma unroll
        for (int ni = 0; ni < 8; ++ni)
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                const int i = row0 + wm + 16 * mi + g + 8 * (r / 2), j = col0 + wn + 8 * ni + 2 * t + r % 2;
                if (i < M && j < N) gemm_store(C, acc[mi][ni][r], i, j, M, N, bias, has_bias, act, slope);
            }
#endif
}

template __global__ void gemm_tf32_bias_act<false, false>(const float*, const float*, const float*, float*, int, int,
                                                          int, int, int, int, int, int, float);
template __global__ void gemm_tf32_bias_act<false, true>(const float*, const float*, const float*, float*, int, int,
                                                         int, int, int, int, int, int, float);
template __global__ void gemm_tf32_bias_act<true, false>(const float*, const float*, const float*, float*, int, int,
                                                         int, int, int, int, int, int, float);

#define INSTANTIATE_GEMM(T, TA, TB, BM, BN) \
    template __global__ void gemm_bias_act<T, TA, TB, BM, BN>(const T*, const T*, const T*, T*, int, int, int, int, \
                                                              int, int, int, int, T);
#define INSTANTIATE_GEMMS(T, BM, BN) \
    INSTANTIATE_GEMM(T, false, false, BM, BN) INSTANTIATE_GEMM(T, false, true, BM, BN) \
    INSTANTIATE_GEMM(T, true, false, BM, BN)
INSTANTIATE_GEMMS(float, 128, 128)
INSTANTIATE_GEMMS(float, 128, 64)
INSTANTIATE_GEMMS(float, 64, 64)
INSTANTIATE_GEMMS(double, 64, 64)
#undef INSTANTIATE_GEMMS
#undef INSTANTIATE_GEMM

#define INSTANTIATE(T) \
    template __global__ void gemm_split_k_sum<T>(const T*, const T*, T*, long long, int, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
