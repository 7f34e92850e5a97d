"""The IWAE step of minivae/benchmarks/iwae_step.py (the paper's 784-200-200-50 model, k = 50)
as the GPU benchmark records it, replayed on the CPU against the fake CuPy with device
arrays: every launch the CUDA graph would hold, counted and named."""
from collections import Counter

import numpy as np

from minivae.benchmarks import iwae_step

# 6 dense layers: 17 products (5 weight gradients split), one backward kernel each; the fused
# reparameterization, BCE per row and the bound's weights; Adam and its count. CuPy's: the
# seed gradient, two negations each way, the bound's sum, the weights times its gradient.
RECORDED = {("own", "gemm_bias_act"): 17, ("own", "gemm_split_k_sum"): 5, ("own", "dense_act_grad_bias"): 6,
            ("own", "reparameterize_log_ratio_forward"): 1, ("own", "reparameterize_log_ratio_backward"): 1,
            ("own", "bce_with_logits_rows"): 1, ("own", "bce_with_logits_backward"): 1, ("own", "iwae_weights"): 1,
            ("own", "advance_step"): 1, ("own", "adam_step_counted"): 1, ("cupy", "ones"): 1,
            ("cupy", "negative"): 4, ("cupy", "add.reduce"): 1, ("cupy", "add"): 1, ("cupy", "multiply"): 1}


def test_the_recorded_iwae_step_launches_43_kernels_and_copies_nothing(fake_device):
    """The transposed log-weights and their gradient are read in place (strides), not
    copied; the encoder's halves likewise."""
    rng = np.random.default_rng(0)
    batch, k = 20, 50
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((k, batch, 50)).astype(np.float32)
    step = iwae_step.minivae_step(iwae_step.init(), x, eps, "fast", "cuda", graphs=True)
    step()
    step()
    assert Counter(fake_device.captured) == RECORDED
    assert sum(RECORDED.values()) == 43
