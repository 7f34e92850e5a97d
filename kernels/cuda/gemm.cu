// Our GEMM with the dense epilogue, in fp32/fp64 and on TF32 tensor cores (kernels/cuda/gemm.py).
#include "common.cuh"

// ---- GEMM with the dense epilogue: C = act(op(A) op(B) + bias) --------------------------
// Our own GEMM, so that a dense layer can be captured in a CUDA graph (CuPy refuses cuBLAS
// during stream capture). op(A) is A (M x K, row-major) or, with TA, the transpose of a
// K x M array, read in place; likewise op(B) (K x N, or N x K with TB). A 64 x 64 tile of C
// per block of 256 threads, each thread 4 x 4 outputs strided by 16, K in steps of 16
// through shared memory; loads are laid out so that consecutive threads read consecutive
// addresses for either orientation. Out-of-range elements load as 0, so any M, N, K work.
// Grid: (tiles, 1, K slices), every output tile on x, whose limit is 2^31 - 1 (y and z
// stop at 65,535: a convolution's product of N oh ow columns passed 65,535 column tiles at a
// 28 x 28 output and batch 5,350); consecutive blocks walk down one column of tiles, so they
// share its B tile in L2 (gemm_tile). Split K: when the tiles are too few to fill the GPU and K is
// long (a weight gradient, K = the batch), slice z sums K in [z k_chunk, (z + 1) k_chunk)
// and, with more than one slice, writes its partial tile to C + z M N (a workspace);
// gemm_split_k_sum then adds the slices in order and applies the epilogue: no atomics, so
// the sum is the same on every run and the launches can be captured.
// The first row and column of this block's tile: tiles numbered down the columns.
__device__ __forceinline__ void gemm_tile(int M, int& row0, int& col0) {
    const int rows = (M + 63) / 64;
    row0 = (int)(blockIdx.x % rows) * 64;
    col0 = (int)(blockIdx.x / rows) * 64;
}

template <typename T>
__device__ __forceinline__ void gemm_store(T* C, T v, int i, int j, int M, int N, const T* bias, int has_bias,
                                           int act, T slope) {
    if (gridDim.z > 1) C[(long long)blockIdx.z * M * N + (long long)i * N + j] = v;   // a slice's partial sum
    else C[(long long)i * N + j] = activate(v + (has_bias ? bias[j] : T(0)), act, slope);
}

template <typename T, bool TA, bool TB>
__global__ void gemm_bias_act(const T* A, const T* B, const T* bias, T* C, int M, int N, int K,
                              int lda, int ldb, int k_chunk, int has_bias, int act, T slope) {
    __shared__ T As[16][65];   // As[k][i]
    __shared__ T Bs[16][65];   // Bs[k][j]
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int row0, col0;
    gemm_tile(M, row0, col0);
    const int k_lo = blockIdx.z * k_chunk, k_hi = min(K, k_lo + k_chunk);
    T acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = T(0);
    for (int k0 = k_lo; k0 < k_hi; k0 += 16) {
        for (int l = threadIdx.x; l < 1024; l += 256) {
            int i = TA ? l % 64 : l / 16, k = TA ? l / 64 : l % 16;
            int gi = row0 + i, gk = k0 + k;
            As[k][i] = (gi < M && gk < k_hi) ? (TA ? A[(long long)gk * lda + gi] : A[(long long)gi * lda + gk]) : T(0);
        }
        for (int l = threadIdx.x; l < 1024; l += 256) {
            int j = TB ? l / 16 : l % 64, k = TB ? l % 16 : l / 64;
            int gj = col0 + j, gk = k0 + k;
            Bs[k][j] = (gj < N && gk < k_hi) ? (TB ? B[(long long)gj * ldb + gk] : B[(long long)gk * ldb + gj]) : T(0);
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < 16; ++k) {
            T a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; ++r) a[r] = As[k][ty + 16 * r];
#pragma unroll
            for (int c = 0; c < 4; ++c) b[c] = Bs[k][tx + 16 * c];
#pragma unroll
            for (int r = 0; r < 4; ++r)
#pragma unroll
                for (int c = 0; c < 4; ++c) acc[r][c] += a[r] * b[c];
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < 4; ++r) {
        int i = row0 + ty + 16 * r;
#pragma unroll
        for (int c = 0; c < 4; ++c) {
            int j = col0 + tx + 16 * c;
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
    gemm_tile(M, row0, col0);
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

#define INSTANTIATE_GEMM(T, TA, TB) \
    template __global__ void gemm_bias_act<T, TA, TB>(const T*, const T*, const T*, T*, int, int, int, int, int, int, \
                                                      int, int, T);
INSTANTIATE_GEMM(float, false, false)
INSTANTIATE_GEMM(float, false, true)
INSTANTIATE_GEMM(float, true, false)
INSTANTIATE_GEMM(double, false, false)
INSTANTIATE_GEMM(double, false, true)
INSTANTIATE_GEMM(double, true, false)

#define INSTANTIATE(T) \
    template __global__ void gemm_split_k_sum<T>(const T*, const T*, T*, long long, int, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
