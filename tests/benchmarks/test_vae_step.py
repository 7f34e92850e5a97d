"""The VAE step of minivae/benchmarks/vae_step.py as the GPU benchmark records it, replayed on
the CPU against the fake CuPy (tests/fake_cupy.py, device arrays): every launch the CUDA
graph would hold, ours and CuPy's, counted and named."""
from collections import Counter

import numpy as np

from minivae.benchmarks import numpy_vae, vae_step

# 4 dense layers: 11 products (no data gradient for the input), bias and activation in the GEMMs'
# epilogue forward, one kernel each backward (act' and the bias sums, no zero fill); split K
# for the two weight gradients with few tiles; the fused reparameterization and BCE one
# launch each way; the gradients written into the optimizer's flat buffer by the ops; Adam
# one launch and its step count one more. What is left of CuPy's: the seed gradient (ones),
# the KL's sum and its addition to the BCE.
RECORDED_AT_128 = {("own", "gemm_bias_act"): 11, ("own", "gemm_split_k_sum"): 2,
                   ("own", "dense_act_grad_bias"): 4, ("own", "reparameterize_kl_forward"): 1,
                   ("own", "reparameterize_kl_backward"): 1, ("own", "bce_with_logits"): 1,
                   ("own", "bce_with_logits_backward"): 1, ("own", "advance_step"): 1,
                   ("own", "adam_step_counted"): 1, ("cupy", "ones"): 1, ("cupy", "add.reduce"): 1,
                   ("cupy", "add"): 1}


def recorded(fake, batch):
    rng = np.random.default_rng(0)
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, 20)).astype(np.float32)
    step = vae_step.minivae_step(numpy_vae.init(), x, eps, "fast", "cuda", graphs=True)
    step()   # eagerly: kernels compiled, Adam's state and the block tickets made
    step()   # recorded
    return Counter(fake.captured)


def test_the_recorded_vae_step_launches_26_kernels_each_named(fake_device):
    assert recorded(fake_device, 128) == RECORDED_AT_128
    assert sum(RECORDED_AT_128.values()) == 26


def test_no_copy_fill_or_gather_is_recorded_at_any_batch(fake_device):
    """At batch 4096 the products change tiles and splits, nothing else: no copy of the
    encoder's halves, no joining of their gradients, no zero fill, no gathering into the
    flat buffer."""
    counts = recorded(fake_device, 4096)
    assert {name for kind, name in counts if kind == "cupy"} == {"ones", "add.reduce", "add"}
    assert counts[("own", "gemm_bias_act")] == 11


def test_the_count_sees_a_copy(fake_device, monkeypatch):
    """The measure on what it must catch: a flat optimizer that gathers every gradient
    (the ops' slots refused) records 8 copies more."""
    from minivae.core import engine
    monkeypatch.setattr(engine, "_slots", lambda fn, grads: None)
    counts = recorded(fake_device, 128)
    assert counts[("cupy", "copy")] == 8 and sum(counts.values()) == 26 + 8
