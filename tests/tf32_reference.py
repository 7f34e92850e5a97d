"""TF32 as the tensor cores see it: the rounding of their inputs, and the error bound that
gemm.cu states for gemm_tf32_bias_act. Shared by the tiling replay and the GPU test."""
import numpy as np


def tf32(x):
    """cvt.rna.tf32.f32: keep 10 mantissa bits, rounding to nearest with ties away from zero
    (the sign is a separate bit, so adding half an ulp to the magnitude does that)."""
    u = np.asarray(x, np.float32).view(np.uint32)
    return ((u + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)


def tf32_bound(A, B):
    """gemm.cu's stated bound on |C_tf32 - A B|, elementwise."""
    u, k = 2.0 ** -11, A.shape[1]
    return (2 * u + u * u + k * 2.0 ** -23 * (1 + u) ** 2) * (np.abs(A).astype(np.float64) @ np.abs(B))
