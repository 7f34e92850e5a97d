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
    *reinterpret_cast<float4*>(p) = make_float4(r[0], r[1], r[2], r[3]);
}
__device__ __forceinline__ void shared_store4(double* p, const double* r) {
    *reinterpret_cast<double2*>(p) = make_double2(r[0], r[1]);
    *reinterpret_cast<double2*>(p + 2) = make_double2(r[2], r[3]);
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
// A 64 x 64 tile of C per block of 128 threads: four warps, each 32 x 32 = 2 x 4 mma tiles;
// shared tiles padded so that the fragment loads hit 32 distinct banks. The loops over
// fragments are unrolled so that the accumulators stay in registers (ptxas: no stack
// frame). Older GPUs compile an empty body (the instructions do not exist there), so the
// module still builds for them; kernels/cuda/gemm.py refuses TF32 below sm_80.
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

template <bool TA, bool TB>
__global__ void gemm_tf32_bias_act(const float* A, const float* B, const float* bias, float* C, int M, int N,
                                   int K, int lda, int ldb, int k_chunk, int has_bias, int act, float slope) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ float As[64][20];   // As[i][k]
    __shared__ float Bs[16][72];   // Bs[k][j]
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
    int row0, col0;
    gemm_tile<64, 64>(M, row0, col0);
    const int k_lo = blockIdx.z * k_chunk, k_hi = min(K, k_lo + k_chunk);
    float acc[2][4][4];
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[mi][ni][r] = 0.f;
    for (int k0 = k_lo; k0 < k_hi; k0 += 16) {
        for (int l = threadIdx.x; l < 1024; l += 128) {
            int i = TA ? l % 64 : l / 16, k = TA ? l / 64 : l % 16;
            int gi = row0 + i, gk = k0 + k;
            As[i][k] = (gi < M && gk < k_hi) ? (TA ? A[(long long)gk * lda + gi] : A[(long long)gi * lda + gk]) : 0.f;
        }
        for (int l = threadIdx.x; l < 1024; l += 128) {
            int j = TB ? l / 16 : l % 64, k = TB ? l % 16 : l / 64;
            int gj = col0 + j, gk = k0 + k;
            Bs[k][j] = (gj < N && gk < k_hi) ? (TB ? B[(long long)gj * ldb + gk] : B[(long long)gk * ldb + gj]) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < 16; kk += 8) {
            unsigned int a[2][4], b[4][2];
#pragma unroll
            for (int mi = 0; mi < 2; ++mi) {   // A fragment: rows g, g + 8; columns t, t + 4
                int r = wm + 16 * mi + g;
                a[mi][0] = to_tf32(As[r][kk + t]);
                a[mi][1] = to_tf32(As[r + 8][kk + t]);
                a[mi][2] = to_tf32(As[r][kk + t + 4]);
                a[mi][3] = to_tf32(As[r + 8][kk + t + 4]);
            }
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {   // B fragment: rows t, t + 4; column g
                int c = wn + 8 * ni + g;
                b[ni][0] = to_tf32(Bs[kk + t][c]);
                b[ni][1] = to_tf32(Bs[kk + t + 4][c]);
            }
#pragma unroll
            for (int mi = 0; mi < 2; ++mi)
#pragma unroll
                for (int ni = 0; ni < 4; ++ni) mma_tf32(acc[mi][ni], a[mi], b[ni]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)   // C fragment: rows g, g + 8; columns 2t, 2t + 1
#pragma unroll
        for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                int i = row0 + wm + 16 * mi + g + 8 * (r / 2), j = col0 + wn + 8 * ni + 2 * t + r % 2;
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
