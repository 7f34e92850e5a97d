// The reparameterization and its KL, fused (kernels/cuda/reparameterize_kl.py).
#include "common.cuh"

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

#define INSTANTIATE(T) \
    template __global__ void reparameterize_kl_forward<T>(const T*, const T*, const T*, T*, T*, int, int, T, T); \
    template __global__ void reparameterize_kl_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, long long, int, T, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
