// The convolution's lowering, im2col and col2im (kernels/cuda/conv.py).
#include "common.cuh"

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

#define INSTANTIATE(T) \
    template __global__ void im2col<T>(const T*, T*, int, int, int, int, int, int, int, int, int, int, int, int, int, int); \
    template __global__ void col2im<T>(const T*, T*, int, int, int, int, int, int, int, int, int, int, int, int, int, int);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
