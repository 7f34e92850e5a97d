// Shared by every kernel file here (each includes it; kernels/cuda/module.py compiles them as
// one NVRTC module with this header once, and CI compiles each file on its own with nvcc).
// Each kernel is a template instantiated for float and double; kernels/cuda/*.py launch them.
// Reductions go through shared memory or warp shuffles, one atomic per block at most.
#ifndef MINIVAE_COMMON_CUH
#define MINIVAE_COMMON_CUH

template <typename T> __device__ __forceinline__ T tanh_(T x);
template <> __device__ __forceinline__ float tanh_(float x) { return tanhf(x); }
template <> __device__ __forceinline__ double tanh_(double x) { return tanh(x); }
template <typename T> __device__ __forceinline__ T exp_(T x);
template <> __device__ __forceinline__ float exp_(float x) { return expf(x); }
template <> __device__ __forceinline__ double exp_(double x) { return exp(x); }
template <typename T> __device__ __forceinline__ T log_(T x);
template <> __device__ __forceinline__ float log_(float x) { return logf(x); }
template <> __device__ __forceinline__ double log_(double x) { return log(x); }
template <typename T> __device__ __forceinline__ T log1p_(T x);
template <> __device__ __forceinline__ float log1p_(float x) { return log1pf(x); }
template <> __device__ __forceinline__ double log1p_(double x) { return log1p(x); }
template <typename T> __device__ __forceinline__ T sqrt_(T x);
template <> __device__ __forceinline__ float sqrt_(float x) { return sqrtf(x); }
template <> __device__ __forceinline__ double sqrt_(double x) { return sqrt(x); }
template <typename T> __device__ __forceinline__ T sigmoid_(T v) {   // exact in both tails
    T e = exp_(-fabs(v));
    return (v >= T(0) ? T(1) : e) / (T(1) + e);
}
template <typename T> __device__ __forceinline__ T neg_inf();
template <> __device__ __forceinline__ float neg_inf() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double neg_inf() { return -__longlong_as_double(0x7ff0000000000000LL); }

enum { IDENTITY = 0, RELU = 1, TANH = 2, SIGMOID = 3, LEAKY_RELU = 4 };

template <typename T>
__device__ __forceinline__ T activate(T v, int act, T slope) {
    if (act == RELU) return v > T(0) ? v : T(0);
    if (act == TANH) return tanh_(v);
    if (act == SIGMOID) return sigmoid_(v);
    if (act == LEAKY_RELU) return v > T(0) ? v : slope * v;
    return v;
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffff, v, offset);
    return v;
}

// Whether this block is the last of `blocks` to finish, for a reduction over blocks with no
// zero fill before it and no atomics on its data: every block writes its partial result,
// then takes a number from `ticket` (left at 0 between launches); the block that draws
// blocks - 1 is the last, sees every partial, and adds them up in block order (the same sum
// on every run). atomicInc wraps at blocks - 1, so the ticket is 0 again for the next launch.
// Every thread of the block calls it, after the block's partial is written.
__device__ __forceinline__ bool last_block(unsigned int* ticket, unsigned int blocks) {
    __shared__ bool last;
    __threadfence();   // this block's partial is visible to all before its number is taken
    __syncthreads();
    if (threadIdx.x == 0 && threadIdx.y == 0) last = atomicInc(ticket, blocks - 1) == blocks - 1;
    __syncthreads();
    return last;
}

// The column sums of a (32, 8) block's threads' values `acc` (column blockIdx.x * 32 +
// threadIdx.x, 8 row lanes), added over the gridDim.y blocks of its column group: each
// block's sum to partial[blockIdx.y][col], then the group's last block (last_block, ticket
// blockIdx.x) adds them in order into out[col]. Every thread of the block calls it.
template <typename T>
__device__ __forceinline__ void column_sums(T acc, T* partial, unsigned int* tickets, T* out, int m) {
    __shared__ T lanes[8][33];
    const int col = blockIdx.x * 32 + threadIdx.x;
    lanes[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < m) {
        T sum = T(0);
        for (int r = 0; r < 8; ++r) sum += lanes[r][threadIdx.x];
        partial[(long long)blockIdx.y * m + col] = sum;
    }
    if (last_block(tickets + blockIdx.x, gridDim.y) && threadIdx.y == 0 && col < m) {
        const volatile T* sums = partial;   // other blocks' writes: read past this SM's L1
        T total = T(0);
        for (int b = 0; b < (int)gridDim.y; ++b) total += sums[(long long)b * m + col];
        out[col] = total;
    }
}

#endif
