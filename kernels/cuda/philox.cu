// Philox4x32-10 draws on the device (kernels/cuda/philox.py).
#include "common.cuh"

// ---- Philox4x32-10 normals (minivae/philox.py is the reference) --------------------------
// Block b of draw `offset` is philox(counter = (b lo, b hi, offset lo, offset hi), key = seed).
// The offset is read from device memory, so a captured graph draws fresh noise on each
// replay once advance_counter (also captured) has bumped it.
__device__ __forceinline__ void philox4x32_10(unsigned int c[4], unsigned int k0, unsigned int k1) {
    for (int r = 0; r < 10; ++r) {
        if (r) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        unsigned int hi0 = __umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
        unsigned int n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
    }
}

__device__ __forceinline__ double word_to_uniform(unsigned int w) {   // (w >> 9 + 1/2) / 2^23
    return ((double)(w >> 9) + 0.5) * (1.0 / 8388608.0);
}

// The four words of block b of draw ``off``: counter (b lo, b hi, off lo, off hi), key seed.
__device__ __forceinline__ void philox_block(long long b, unsigned long long off, unsigned long long seed,
                                             unsigned int c[4]) {
    c[0] = (unsigned int)b;
    c[1] = (unsigned int)((unsigned long long)b >> 32);
    c[2] = (unsigned int)off;
    c[3] = (unsigned int)(off >> 32);
    philox4x32_10(c, (unsigned int)seed, (unsigned int)(seed >> 32));
}

template <typename T>
__global__ void philox_normal(T* out, long long n, unsigned long long seed, const unsigned long long* offset) {
    unsigned long long off = *offset;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b * 4 < n;
         b += (long long)gridDim.x * blockDim.x) {
        unsigned int c[4];
        philox_block(b, off, seed, c);
        for (int pair = 0; pair < 2; ++pair) {      // Box-Muller in double, as the reference
            double r = sqrt(-2.0 * log(word_to_uniform(c[2 * pair])));
            double a = 6.283185307179586 * word_to_uniform(c[2 * pair + 1]);
            long long i = 4 * b + 2 * pair;
            if (i < n) out[i] = (T)(r * cos(a));
            if (i + 1 < n) out[i + 1] = (T)(r * sin(a));
        }
    }
}

template <typename T>
__global__ void philox_uniform(T* out, long long n, unsigned long long seed, const unsigned long long* offset) {
    unsigned long long off = *offset;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b * 4 < n;
         b += (long long)gridDim.x * blockDim.x) {
        unsigned int c[4];
        philox_block(b, off, seed, c);
        for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = (T)word_to_uniform(c[j]);
    }
}

extern "C" __global__ void advance_counter(unsigned long long* counter) { *counter += 1; }

#define INSTANTIATE(T) \
    template __global__ void philox_normal<T>(T*, long long, unsigned long long, const unsigned long long*); \
    template __global__ void philox_uniform<T>(T*, long long, unsigned long long, const unsigned long long*);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE
