// Binary cross-entropy on logits (kernels/cuda/bce.py).
#include "common.cuh"

// ---- BCE with logits: loss and d loss / d logit -----------------------------------------
// The loss stored elementwise (store), or summed: each thread's sum, then the block's
// (warp shuffles, then shared memory) into partial[blockIdx.x], and the last block adds the
// blocks' sums in order into total[0] (common.cuh: last_block), so a summed loss is one launch.
template <typename T>
__global__ void bce_with_logits(const T* l, const T* t, T* loss, T* grad, T* partial, T* total, unsigned int* ticket,
                                long long size, int store) {
    T acc = T(0);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;
         i += (long long)gridDim.x * blockDim.x) {
        T v = l[i], e = exp_(-fabs(v)), s = log1p_(e);
        // a |v| with a = 1 - t (v >= 0) or t (v < 0): +inf, not inf - inf, for v = +inf, t = 0
        T value = (v >= T(0) ? T(1) - t[i] : t[i]) * fabs(v) + s;
        if (store) loss[i] = value;
        else acc += value;
        grad[i] = exp_(fmin(v, T(0)) - s) - t[i];   // sigmoid(v) - t
    }
    if (store) return;
    __shared__ T warps[32];
    acc = warp_sum(acc);
    if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = acc;
    __syncthreads();
    if (threadIdx.x == 0) {
        T sum = T(0);
        for (int w = 0; w < (int)blockDim.x / 32; ++w) sum += warps[w];
        partial[blockIdx.x] = sum;
    }
    if (last_block(ticket, gridDim.x) && threadIdx.x == 0) {
        const volatile T* sums = partial;   // other blocks' writes: read past this SM's L1
        T sum = T(0);
        for (int b = 0; b < (int)gridDim.x; ++b) sum += sums[b];
        total[0] = sum;
    }
}

// ---- the same, each row's loss summed: one warp per row (a negative log-likelihood per example)
template <typename T>
__global__ void bce_with_logits_rows(const T* l, const T* t, T* rows, T* grad, int n, int m) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    T acc = T(0);
    for (int j = lane; j < m; j += 32) {
        const long long i = (long long)row * m + j;
        T v = l[i], e = exp_(-fabs(v)), s = log1p_(e);
        acc += (v >= T(0) ? T(1) - t[i] : t[i]) * fabs(v) + s;
        grad[i] = exp_(fmin(v, T(0)) - s) - t[i];
    }
    acc = warp_sum(acc);
    if (lane == 0) rows[row] = acc;
}

// ---- its backward: d loss / d logit times the incoming gradient, in one pass ---------------
// g is a number, one value per row, or one per element, broadcast: g[row g_rows + col g_cols].
template <typename T>
__global__ void bce_with_logits_backward(const T* grad, const T* g, T* out, long long size, int m, int g_rows,
                                         int g_cols, T scale) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;
         i += (long long)gridDim.x * blockDim.x) {
        out[i] = grad[i] * (g[(i / m) * g_rows + (i % m) * g_cols] * scale);
    }
}

#define INSTANTIATE(T) \
    template __global__ void bce_with_logits<T>(const T*, const T*, T*, T*, T*, T*, unsigned int*, long long, int); \
    template __global__ void bce_with_logits_rows<T>(const T*, const T*, T*, T*, int, int); \
    template __global__ void bce_with_logits_backward<T>(const T*, const T*, T*, long long, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
