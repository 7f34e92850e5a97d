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
// the 8 partial sums of a column meet in shared memory, and the block's sum goes to
// partial[blockIdx.y][col]; the last block of each column group (last_block, ticket
// blockIdx.x) adds the gridDim.y partials in order into db: no zero fill, no atomics on data.
template <typename T>
__global__ void dense_act_grad_bias(const T* gy, const T* y, T* gz, T* db, T* partial, unsigned int* tickets, int n,
                                    int m, int act, T slope) {
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
    column_sums(acc, partial, tickets, db, m);
}

#define INSTANTIATE(T) \
    template __global__ void dense_bias_act<T>(T*, const T*, long long, int, int, T); \
    template __global__ void dense_act_grad_bias<T>(const T*, const T*, T*, T*, T*, unsigned int*, int, int, int, T);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
