// Binary cross-entropy on logits (kernels/cuda/bce.py).
#include "common.cuh"

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

#define INSTANTIATE(T) \
    template __global__ void bce_with_logits<T>(const T*, const T*, T*, T*, long long);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
