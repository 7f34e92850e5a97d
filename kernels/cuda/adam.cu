// Adam's update, eager and for a captured step (kernels/cuda/adam.py).
#include "common.cuh"

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

#define INSTANTIATE(T) \
    template __global__ void adam_step<T>(T*, const T*, T*, T*, long long, T, T, T, T, T, T, T, T); \
    template __global__ void adam_amsgrad_step<T>(T*, const T*, T*, T*, T*, long long, T, T, T, T, T, T, T, T); \
    template __global__ void adam_step_counted<T>(T*, const T*, T*, T*, long long, double, double, double, T, T, const unsigned long long*, const T*, int); \
    template __global__ void advance_step<T>(unsigned long long*, const T*, int);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
