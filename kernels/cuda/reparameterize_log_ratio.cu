// The reparameterization and each sample's log ratio of prior to posterior, fused
// (kernels/cuda/reparameterize_log_ratio.py). eps and z are (k, n, d), sample-major; mu and
// logvar, and their gradients, rows X_ld elements apart (reparameterize_kl.cu says why).
#include "common.cuh"

// ---- forward: one warp per (sample, input) row, the ratio's sum by warp shuffles ---------
template <typename T>
__global__ void reparameterize_log_ratio_forward(const T* mu, const T* logvar, const T* eps, T* z, T* r,
                                                 long long rows, long long n, int d, int mu_ld, int logvar_ld,
                                                 T lo, T hi) {
    long long row = blockIdx.x * (long long)(blockDim.x / 32) + threadIdx.x / 32;   // a * n + i
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const long long in = row % n;
    T acc = T(0);
    for (int j = lane; j < d; j += 32) {
        long long o = row * d + j;
        T lv = fmin(fmax(logvar[in * logvar_ld + j], lo), hi), e = eps[o], v = mu[in * mu_ld + j] + exp_(T(0.5) * lv) * e;
        z[o] = v;
        acc += e * e + lv - v * v;
    }
    acc = warp_sum(acc);
    if (lane == 0) r[row] = T(0.5) * acc;
}

// ---- backward: one thread per (input, dim), summing over the k samples ---------------------
template <typename T>
__global__ void reparameterize_log_ratio_backward(const T* mu, const T* logvar, const T* eps, const T* gz,
                                                  const T* gr, T* gmu, T* glv, long long n, int k, int d,
                                                  int mu_ld, int logvar_ld, int gmu_ld, int glv_ld, int gr_rows,
                                                  int gr_cols, T lo, T hi) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n * d;
         i += (long long)gridDim.x * blockDim.x) {
        const long long row = i / d, j = i % d;
        T raw = logvar[row * logvar_ld + j], s = exp_(T(0.5) * fmin(fmax(raw, lo), hi)), m = mu[row * mu_ld + j];
        T gm = T(0), gl = T(0);
        for (int a = 0; a < k; ++a) {
            long long o = a * n * d + i;
            T g_r = gr[(long long)a * gr_rows + row * gr_cols], e = eps[o], g = gz[o] - g_r * (m + s * e);   // dr/dz = -z
            gm += g;
            gl += g * s * e + g_r;
        }
        gmu[row * gmu_ld + j] = gm;
        glv[row * glv_ld + j] = (raw >= lo && raw <= hi) ? T(0.5) * gl : T(0);   // inclusive, as clip's gradient
    }
}

#define INSTANTIATE(T) \
    template __global__ void reparameterize_log_ratio_forward<T>(const T*, const T*, const T*, T*, T*, long long, \
                                                                 long long, int, int, int, T, T); \
    template __global__ void reparameterize_log_ratio_backward<T>(const T*, const T*, const T*, const T*, const T*, \
                                                                  T*, T*, long long, int, int, int, int, int, int, int, \
                                                                  int, T, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
