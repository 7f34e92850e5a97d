// The dense layer's bias and activation, and their gradient (kernels/cuda/dense.py).
#include "common.cuh"

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

#define INSTANTIATE(T) \
    template __global__ void dense_bias_act<T>(T*, const T*, long long, int, int, T); \
    template __global__ void dense_act_grad_bias<T>(const T*, const T*, T*, T*, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
