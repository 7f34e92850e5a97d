// minivae's CUDA kernels, compiled at first use by CuPy (NVRTC) and, in CI, by nvcc.
// Each is a template instantiated for float and double; kernels/cuda/*.py launch them.
// Reductions go through shared memory or warp shuffles, one atomic per block at most.

template <typename T> __device__ __forceinline__ T tanh_(T x);
template <> __device__ __forceinline__ float tanh_(float x) { return tanhf(x); }
template <> __device__ __forceinline__ double tanh_(double x) { return tanh(x); }
template <typename T> __device__ __forceinline__ T exp_(T x);
template <> __device__ __forceinline__ float exp_(float x) { return expf(x); }
template <> __device__ __forceinline__ double exp_(double x) { return exp(x); }
template <typename T> __device__ __forceinline__ T log_(T x);
template <> __device__ __forceinline__ float log_(float x) { return logf(x); }
template <> __device__ __forceinline__ double log_(double x) { return log(x); }
template <typename T> __device__ __forceinline__ T log1p_(T x);
template <> __device__ __forceinline__ float log1p_(float x) { return log1pf(x); }
template <> __device__ __forceinline__ double log1p_(double x) { return log1p(x); }
template <typename T> __device__ __forceinline__ T sqrt_(T x);
template <> __device__ __forceinline__ float sqrt_(float x) { return sqrtf(x); }
template <> __device__ __forceinline__ double sqrt_(double x) { return sqrt(x); }
template <typename T> __device__ __forceinline__ T sigmoid_(T v) {   // exact in both tails
    T e = exp_(-fabs(v));
    return (v >= T(0) ? T(1) : e) / (T(1) + e);
}
template <typename T> __device__ __forceinline__ T neg_inf();
template <> __device__ __forceinline__ float neg_inf() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double neg_inf() { return -__longlong_as_double(0x7ff0000000000000LL); }

enum { IDENTITY = 0, RELU = 1, TANH = 2, SIGMOID = 3, LEAKY_RELU = 4 };

template <typename T>
__device__ __forceinline__ T activate(T v, int act, T slope) {
    if (act == RELU) return v > T(0) ? v : T(0);
    if (act == TANH) return tanh_(v);
    if (act == SIGMOID) return sigmoid_(v);
    if (act == LEAKY_RELU) return v > T(0) ? v : slope * v;
    return v;
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffff, v, offset);
    return v;
}

// ---- dense: y = act(y + b) in place, y of shape (n, m) ---------------------------------
template <typename T>
__global__ void dense_bias_act(T* y, const T* b, long long n, int m, int act, T slope) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n * m;
         i += (long long)gridDim.x * blockDim.x) {
        y[i] = activate(y[i] + b[i % m], act, slope);
    }
}

// ---- dense backward: gz = gy * act'(y), db = column sums of gz --------------------------
// Block (32, 8): 32 columns, 8 row lanes. Each thread walks rows with stride 8 * gridDim.y,
// the 8 partial sums of a column meet in shared memory, and one atomicAdd per block and
// column adds them to db (zeroed by the caller).
template <typename T>
__global__ void dense_act_grad_bias(const T* gy, const T* y, T* gz, T* db, int n, int m, int act, T slope) {
    __shared__ T partial[8][33];
    int col = blockIdx.x * 32 + threadIdx.x;
    T acc = T(0);
    if (col < m) {
        for (int row = blockIdx.y * 8 + threadIdx.y; row < n; row += 8 * gridDim.y) {
            long long i = (long long)row * m + col;
            T g = gy[i], out = y[i];
            if (act == RELU) g = out > T(0) ? g : T(0);
            else if (act == TANH) g *= T(1) - out * out;
            else if (act == SIGMOID) g *= out * (T(1) - out);
            else if (act == LEAKY_RELU) g = out > T(0) ? g : slope * g;   // slope >= 0 (ops/dense.py)
            gz[i] = g;
            acc += g;
        }
    }
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < m) {
        T sum = T(0);
        for (int r = 0; r < 8; ++r) sum += partial[r][threadIdx.x];
        atomicAdd(db + col, sum);
    }
}

// ---- reparameterize + KL: one warp per row ----------------------------------------------
template <typename T>
__global__ void reparameterize_kl_forward(const T* mu, const T* logvar, const T* eps, T* z, T* kl,
                                          int n, int d, T lo, T hi) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    T acc = T(0);
    for (int j = lane; j < d; j += 32) {
        long long i = (long long)row * d + j;
        T lv = fmin(fmax(logvar[i], lo), hi), s = exp_(T(0.5) * lv), m = mu[i];
        z[i] = m + s * eps[i];
        acc += s * s + m * m - T(1) - lv;
    }
    acc = warp_sum(acc);
    if (lane == 0) kl[row] = T(0.5) * acc;
}

template <typename T>
__global__ void reparameterize_kl_backward(const T* mu, const T* logvar, const T* eps, const T* gz,
                                           const T* gkl, T* gmu, T* glv, long long n, int d, T lo, T hi) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n * d;
         i += (long long)gridDim.x * blockDim.x) {
        T raw = logvar[i], g = gkl[i / d];
        gmu[i] = gz[i] + g * mu[i];
        if (raw >= lo && raw <= hi) {   // inclusive, as clip's gradient
            T s = exp_(T(0.5) * raw);
            glv[i] = T(0.5) * (gz[i] * eps[i] * s + g * (s * s - T(1)));
        } else {
            glv[i] = T(0);
        }
    }
}

// ---- IWAE: one block per row: max, sum of exp, normalized weights, L_k -------------------
template <typename T>
__device__ T block_reduce(T v, bool take_max) {
    __shared__ T scratch[32];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
    for (int offset = 16; offset > 0; offset >>= 1) {
        T other = __shfl_down_sync(0xffffffff, v, offset);
        v = take_max ? fmax(v, other) : v + other;
    }
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? scratch[lane] : (take_max ? neg_inf<T>() : T(0));
        for (int offset = 16; offset > 0; offset >>= 1) {
            T other = __shfl_down_sync(0xffffffff, v, offset);
            v = take_max ? fmax(v, other) : v + other;
        }
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    T result = scratch[0];
    __syncthreads();
    return result;
}

template <typename T>
__global__ void iwae_weights(const T* logw, T* out, T* weights, int k, T log_k) {
    const T* row = logw + (long long)blockIdx.x * k;
    T* w = weights + (long long)blockIdx.x * k;
    T m = neg_inf<T>();
    for (int j = threadIdx.x; j < k; j += blockDim.x) m = fmax(m, row[j]);
    m = block_reduce(m, true);
    if (m == neg_inf<T>()) {   // every weight is zero: L_k = -inf, weights 0, never NaN
        for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] = T(0);
        if (threadIdx.x == 0) out[blockIdx.x] = m;
        return;
    }
    if (m == -neg_inf<T>()) {  // L_k = +inf, equal weights on the +inf entries
        T top = T(0);
        for (int j = threadIdx.x; j < k; j += blockDim.x) top += row[j] == m ? T(1) : T(0);
        top = block_reduce(top, false);
        for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] = row[j] == m ? T(1) / top : T(0);
        if (threadIdx.x == 0) out[blockIdx.x] = m;
        return;
    }
    T s = T(0);
    for (int j = threadIdx.x; j < k; j += blockDim.x) {
        T e = exp_(row[j] - m);
        w[j] = e;
        s += e;
    }
    s = block_reduce(s, false);
    for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] /= s;
    if (threadIdx.x == 0) out[blockIdx.x] = m + log_(s) - log_k;
}

// ---- BCE with logits: loss and d loss / d logit -----------------------------------------
template <typename T>
__global__ void bce_with_logits(const T* l, const T* t, T* loss, T* grad, long long size) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;
         i += (long long)gridDim.x * blockDim.x) {
        T v = l[i], e = exp_(-fabs(v)), s = log1p_(e);
        // a |v| with a = 1 - t (v >= 0) or t (v < 0): +inf, not inf - inf, for v = +inf, t = 0
        loss[i] = (v >= T(0) ? T(1) - t[i] : t[i]) * fabs(v) + s;
        grad[i] = exp_(fmin(v, T(0)) - s) - t[i];   // sigmoid(v) - t
    }
}

// ---- Adam: one pass over p, g, m, v (and v_max for AMSGrad) ---------------------------
template <typename T, bool AMSGRAD>
__device__ __forceinline__ void adam_pass(T* p, const T* g, T* m, T* v, T* v_max, long long size, T lr_c1,
                                          T b1, T a1, T b2, T a2, T eps, T wd, T inv_c2) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;
         i += (long long)gridDim.x * blockDim.x) {
        T gi = g[i] + wd * p[i];
        T mi = b1 * m[i] + a1 * gi, vi = b2 * v[i] + a2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (AMSGRAD) {   // divide by the largest second moment so far
            vi = fmax(v_max[i], vi);
            v_max[i] = vi;
        }
        p[i] -= lr_c1 * mi / (sqrt_(vi * inv_c2) + eps);
    }
}

template <typename T>
__global__ void adam_step(T* p, const T* g, T* m, T* v, long long size, T lr_c1, T b1, T a1,
                          T b2, T a2, T eps, T wd, T inv_c2) {
    adam_pass<T, false>(p, g, m, v, nullptr, size, lr_c1, b1, a1, b2, a2, eps, wd, inv_c2);
}

template <typename T>
__global__ void adam_amsgrad_step(T* p, const T* g, T* m, T* v, T* v_max, long long size, T lr_c1, T b1,
                                  T a1, T b2, T a2, T eps, T wd, T inv_c2) {
    adam_pass<T, true>(p, g, m, v, v_max, size, lr_c1, b1, a1, b2, a2, eps, wd, inv_c2);
}

// For a captured step: t is read on the device (and bumped by advance_step, captured too),
// so every replay applies the right bias corrections 1 - b^t without a host value baked in.
// lr, b1 and b2 come as doubles, so that the corrections are the eager step's (adam_step's
// are computed in double on the host). With ``gated``, a step whose loss (*gate) is not
// finite changes nothing, neither t nor p, m, v: a replayed step cannot be stopped from the
// host before its update, so the update itself keeps the last good parameters.
template <typename T>
__global__ void advance_step(unsigned long long* step, const T* gate, int gated) {
    if (!gated || isfinite(*gate)) *step += 1;
}

template <typename T>
__global__ void adam_step_counted(T* p, const T* g, T* m, T* v, long long size, double lr, double b1, double b2,
                                  T eps, T wd, const unsigned long long* step, const T* gate, int gated) {
    if (gated && !isfinite(*gate)) return;
    double t = (double)(*step);
    T lr_c1 = (T)(lr / (1.0 - pow(b1, t))), inv_c2 = (T)(1.0 / (1.0 - pow(b2, t)));
    adam_pass<T, false>(p, g, m, v, nullptr, size, lr_c1, (T)b1, (T)(1.0 - b1), (T)b2, (T)(1.0 - b2), eps, wd,
                        inv_c2);
}

// ---- GEMM with the dense epilogue: C = act(op(A) op(B) + bias) --------------------------
// Our own GEMM, so that a dense layer can be captured in a CUDA graph (CuPy refuses cuBLAS
// during stream capture). op(A) is A (M x K, row-major) or, with TA, the transpose of a
// K x M array, read in place; likewise op(B) (K x N, or N x K with TB). A 64 x 64 tile of C
// per block of 256 threads, each thread 4 x 4 outputs strided by 16, K in steps of 16
// through shared memory; loads are laid out so that consecutive threads read consecutive
// addresses for either orientation. Out-of-range elements load as 0, so any M, N, K work.
// Grid: (row tiles, column tiles, K slices). Row tiles go on x, whose limit is 2^31 - 1
// (y and z stop at 65,535). Split K: when the tiles are too few to fill the GPU and K is
// long (a weight gradient, K = the batch), slice z sums K in [z k_chunk, (z + 1) k_chunk)
// and, with more than one slice, writes its partial tile to C + z M N (a workspace);
// gemm_split_k_sum then adds the slices in order and applies the epilogue: no atomics, so
// the sum is the same on every run and the launches can be captured.
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
    const int row0 = blockIdx.x * 64, col0 = blockIdx.y * 64;
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
    const int row0 = blockIdx.x * 64, col0 = blockIdx.y * 64, wm = (warp / 2) * 32, wn = (warp % 2) * 32;
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

// ---- convolution lowering (minivae/ops/conv.py; kernels/cuda/conv.py) -------------------
// im2col writes the columns of an NCHW image as one matrix per group, (C kh kw, N oh ow)
// row-major, which is (groups, C/groups kh kw, N oh ow) since a group's channels are
// contiguous: col[(c kh + i) kw + j][(n oh + p) ow + q] = x[n, c, p s + i d - pad, q s + j d - pad].
template <typename T>
__global__ void im2col(const T* x, T* col, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph,
                       int pw, int dh, int dw, int oh, int ow) {
    const long long L = (long long)N * oh * ow, total = (long long)C * kh * kw * L;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x) {
        long long at = idx % L, row = idx / L;
        int j = row % kw, i = (row / kw) % kh, c = row / (kw * kh);
        int q = at % ow, p = (at / ow) % oh, n = at / ((long long)ow * oh);
        int r = p * sh + i * dh - ph, s = q * sw + j * dw - pw;
        col[idx] = (r >= 0 && r < H && s >= 0 && s < W) ? x[(((long long)n * C + c) * H + r) * W + s] : T(0);
    }
}

// col2im, its adjoint, as a gather: each pixel sums the column entries that came from it,
// so no two threads write one address (no atomics, the same sum order on every run).
template <typename T>
__global__ void col2im(const T* col, T* x, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph,
                       int pw, int dh, int dw, int oh, int ow) {
    const long long L = (long long)N * oh * ow, total = (long long)N * C * H * W;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x) {
        int w = idx % W, h = (idx / W) % H, c = (idx / ((long long)W * H)) % C, n = idx / ((long long)W * H * C);
        T sum = T(0);
        for (int i = 0; i < kh; ++i) {
            int rr = h + ph - i * dh;
            if (rr < 0 || rr % sh) continue;
            int p = rr / sh;
            if (p >= oh) continue;
            for (int j = 0; j < kw; ++j) {
                int ss = w + pw - j * dw;
                if (ss < 0 || ss % sw) continue;
                int q = ss / sw;
                if (q >= ow) continue;
                sum += col[((long long)(c * kh + i) * kw + j) * L + ((long long)n * oh + p) * ow + q];
            }
        }
        x[idx] = sum;
    }
}

// ---- Philox4x32-10 normals (minivae/philox.py is the reference) --------------------------
// Block b of draw `offset` is philox(counter = (b lo, b hi, offset lo, offset hi), key = seed).
// The offset is read from device memory, so a captured graph draws fresh noise on each
// replay once advance_counter (also captured) has bumped it.
__device__ __forceinline__ void philox4x32_10(unsigned int c[4], unsigned int k0, unsigned int k1) {
    for (int r = 0; r < 10; ++r) {
        if (r) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        unsigned int hi0 = __umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
        unsigned int n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
    }
}

__device__ __forceinline__ double word_to_uniform(unsigned int w) {   // (w >> 9 + 1/2) / 2^23
    return ((double)(w >> 9) + 0.5) * (1.0 / 8388608.0);
}

// The four words of block b of draw ``off``: counter (b lo, b hi, off lo, off hi), key seed.
__device__ __forceinline__ void philox_block(long long b, unsigned long long off, unsigned long long seed,
                                             unsigned int c[4]) {
    c[0] = (unsigned int)b;
    c[1] = (unsigned int)((unsigned long long)b >> 32);
    c[2] = (unsigned int)off;
    c[3] = (unsigned int)(off >> 32);
    philox4x32_10(c, (unsigned int)seed, (unsigned int)(seed >> 32));
}

template <typename T>
__global__ void philox_normal(T* out, long long n, unsigned long long seed, const unsigned long long* offset) {
    unsigned long long off = *offset;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b * 4 < n;
         b += (long long)gridDim.x * blockDim.x) {
        unsigned int c[4];
        philox_block(b, off, seed, c);
        for (int pair = 0; pair < 2; ++pair) {      // Box-Muller in double, as the reference
            double r = sqrt(-2.0 * log(word_to_uniform(c[2 * pair])));
            double a = 6.283185307179586 * word_to_uniform(c[2 * pair + 1]);
            long long i = 4 * b + 2 * pair;
            if (i < n) out[i] = (T)(r * cos(a));
            if (i + 1 < n) out[i + 1] = (T)(r * sin(a));
        }
    }
}

template <typename T>
__global__ void philox_uniform(T* out, long long n, unsigned long long seed, const unsigned long long* offset) {
    unsigned long long off = *offset;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b * 4 < n;
         b += (long long)gridDim.x * blockDim.x) {
        unsigned int c[4];
        philox_block(b, off, seed, c);
        for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = (T)word_to_uniform(c[j]);
    }
}

extern "C" __global__ void advance_counter(unsigned long long* counter) { *counter += 1; }

#define INSTANTIATE(T)                                                                              \
    template __global__ void dense_bias_act<T>(T*, const T*, long long, int, int, T);              \
    template __global__ void dense_act_grad_bias<T>(const T*, const T*, T*, T*, int, int, int, T);  \
    template __global__ void reparameterize_kl_forward<T>(const T*, const T*, const T*, T*, T*,    \
                                                          int, int, T, T);                          \
    template __global__ void reparameterize_kl_backward<T>(const T*, const T*, const T*, const T*, \
                                                           const T*, T*, T*, long long, int, T, T); \
    template __global__ void iwae_weights<T>(const T*, T*, T*, int, T);                             \
    template __global__ void gemm_split_k_sum<T>(const T*, const T*, T*, long long, int, int, int, int, T); \
    template __global__ void bce_with_logits<T>(const T*, const T*, T*, T*, long long);             \
    template __global__ void adam_step<T>(T*, const T*, T*, T*, long long, T, T, T, T, T, T, T, T);   \
    template __global__ void adam_amsgrad_step<T>(T*, const T*, T*, T*, T*, long long, T, T, T, T, T, T, T, T); \
    template __global__ void philox_normal<T>(T*, long long, unsigned long long, const unsigned long long*); \
    template __global__ void philox_uniform<T>(T*, long long, unsigned long long, const unsigned long long*); \
    template __global__ void im2col<T>(const T*, T*, int, int, int, int, int, int, int, int, int, int, int, int,  \
                                       int, int);                                                              \
    template __global__ void col2im<T>(const T*, T*, int, int, int, int, int, int, int, int, int, int, int, int,  \
                                       int, int);                                                              \
    template __global__ void adam_step_counted<T>(T*, const T*, T*, T*, long long, double, double, double, T, T, \
                                                  const unsigned long long*, const T*, int);                     \
    template __global__ void advance_step<T>(unsigned long long*, const T*, int);
INSTANTIATE(float)
INSTANTIATE(double)
