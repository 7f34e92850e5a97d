// The decoder's Gaussian negative log-likelihood summed over each row (kernels/cuda/gaussian_nll.py).
#include "common.cuh"

// ---- forward: one warp per row ------------------------------------------------------------
// lv[j lv_ld]: one log-variance per dimension (lv_ld 1), or one for all (lv_ld 0).
template <typename T>
__global__ void gaussian_nll_rows(const T* x, const T* mean, const T* lv, T* out, int n, int d, int lv_ld) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    T acc = T(0);
    for (int j = lane; j < d; j += 32) {
        const long long i = (long long)row * d + j;
        const T v = lv[(long long)j * lv_ld], diff = x[i] - mean[i];
        acc += diff * diff * exp_(-v) + v;
    }
    acc = warp_sum(acc);
    if (lane == 0) out[row] = T(0.5) * (acc + T(d) * T(1.8378770664093454835606594728112));   // log 2 pi
}

// ---- backward: d mean per element; d lv summed over rows ----------------------------------
// Block (32, 8) as dense_act_grad_bias: 32 columns, 8 row lanes, rows with stride 8 gridDim.y;
// each block's column sums of d lv go to partial[blockIdx.y][col], and the last block of the
// column group adds them in order into glv (common.cuh: last_block). With want_lv 0 no sums.
template <typename T>
__global__ void gaussian_nll_rows_backward(const T* x, const T* mean, const T* lv, const T* g, T* gmean, T* glv,
                                           T* partial, unsigned int* tickets, int n, int d, int lv_ld, int want_lv) {
    const int col = blockIdx.x * 32 + threadIdx.x;
    T acc = T(0);
    if (col < d) {
        const T inv = exp_(-lv[(long long)col * lv_ld]);
        for (int row = blockIdx.y * 8 + threadIdx.y; row < n; row += 8 * gridDim.y) {
            const long long i = (long long)row * d + col;
            const T diff = mean[i] - x[i], gi = g[row];
            gmean[i] = gi * diff * inv;
            acc += gi * T(0.5) * (T(1) - diff * diff * inv);
        }
    }
    if (!want_lv) return;
    column_sums(acc, partial, tickets, glv, d);
}

#define INSTANTIATE(T) \
    template __global__ void gaussian_nll_rows<T>(const T*, const T*, const T*, T*, int, int, int); \
    template __global__ void gaussian_nll_rows_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*, \
                                                           unsigned int*, int, int, int, int);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
