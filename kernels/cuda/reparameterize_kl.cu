// The reparameterization and its KL, fused (kernels/cuda/reparameterize_kl.py).
#include "common.cuh"

// ---- reparameterize + KL: one warp per row ----------------------------------------------
// mu and logvar are read, and their gradients written, as rows X_ld elements apart: the two
// halves of the encoder's (n, 2d) output in place, and of one (n, 2d) gradient (its split's
// backward then joins them without a copy). gkl_ld is 0 for a broadcast gradient (kl.sum()).
template <typename T>
__global__ void reparameterize_kl_forward(const T* mu, const T* logvar, const T* eps, T* z, T* kl,
                                          int n, int d, int mu_ld, int logvar_ld, T lo, T hi) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= n) return;
    T acc = T(0);
    for (int j = lane; j < d; j += 32) {
        long long i = (long long)row * d + j;
        T lv = fmin(fmax(logvar[(long long)row * logvar_ld + j], lo), hi), s = exp_(T(0.5) * lv);
        T m = mu[(long long)row * mu_ld + j];
        z[i] = m + s * eps[i];
        acc += s * s + m * m - T(1) - lv;
    }
    acc = warp_sum(acc);
    if (lane == 0) kl[row] = T(0.5) * acc;
}

template <typename T>
__global__ void reparameterize_kl_backward(const T* mu, const T* logvar, const T* eps, const T* gz,
                                           const T* gkl, T* gmu, T* glv, long long n, int d, int mu_ld,
                                           int logvar_ld, int gkl_ld, int gmu_ld, int glv_ld, T lo, T hi) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n * d;
         i += (long long)gridDim.x * blockDim.x) {
        const long long row = i / d, j = i % d;
        T raw = logvar[row * logvar_ld + j], g = gkl[row * gkl_ld];
        gmu[row * gmu_ld + j] = gz[i] + g * mu[row * mu_ld + j];
        if (raw >= lo && raw <= hi) {   // inclusive, as clip's gradient
            T s = exp_(T(0.5) * raw);
            glv[row * glv_ld + j] = T(0.5) * (gz[i] * eps[i] * s + g * (s * s - T(1)));
        } else {
            glv[row * glv_ld + j] = T(0);
        }
    }
}

#define INSTANTIATE(T) \
    template __global__ void reparameterize_kl_forward<T>(const T*, const T*, const T*, T*, T*, int, int, int, int, T, \
                                                          T); \
    template __global__ void reparameterize_kl_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                                           long long, int, int, int, int, int, int, T, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
