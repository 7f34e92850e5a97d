// The IWAE bound's normalized weights (kernels/cuda/iwae.py).
#include "common.cuh"

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

// logw[i, j] is logw[i logw_rows + j logw_cols]: read in place when it is the transpose of
// the sample-major (k, n) log-weights.
template <typename T>
__global__ void iwae_weights(const T* logw, T* out, T* weights, int k, int logw_rows, int logw_cols, T log_k) {
    const T* row = logw + (long long)blockIdx.x * logw_rows;
    T* w = weights + (long long)blockIdx.x * k;
    T m = neg_inf<T>();
    for (int j = threadIdx.x; j < k; j += blockDim.x) m = fmax(m, row[(long long)j * logw_cols]);
    m = block_reduce(m, true);
    if (m == neg_inf<T>()) {   // every weight is zero: L_k = -inf, weights 0, never NaN
        for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] = T(0);
        if (threadIdx.x == 0) out[blockIdx.x] = m;
        return;
    }
    if (m == -neg_inf<T>()) {  // L_k = +inf, equal weights on the +inf entries
        T top = T(0);
        for (int j = threadIdx.x; j < k; j += blockDim.x) top += row[(long long)j * logw_cols] == m ? T(1) : T(0);
        top = block_reduce(top, false);
        for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] = row[(long long)j * logw_cols] == m ? T(1) / top : T(0);
        if (threadIdx.x == 0) out[blockIdx.x] = m;
        return;
    }
    T s = T(0);
    for (int j = threadIdx.x; j < k; j += blockDim.x) {
        T e = exp_(row[(long long)j * logw_cols] - m);
        w[j] = e;
        s += e;
    }
    s = block_reduce(s, false);
    for (int j = threadIdx.x; j < k; j += blockDim.x) w[j] /= s;
    if (threadIdx.x == 0) out[blockIdx.x] = m + log_(s) - log_k;
}

#define INSTANTIATE(T) \
    template __global__ void iwae_weights<T>(const T*, T*, T*, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
