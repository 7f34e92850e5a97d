"""Functions on tensors, as in ``torch.nn.functional``: ``import minivae.functional as F``.

The convolutions, pools and their layers take PyTorch's names, argument order and weight
layouts (a PyTorch ``Conv2d``, ``ConvTranspose2d`` or ``BatchNorm`` state dict loads, its
tensors as NumPy arrays), with these differences:

- the first argument is named ``x``, not ``input``;
- images are batched (N, C, H, W): an unbatched (C, H, W) image is refused, not promoted;
- ``padding="same"`` needs stride 1 and a kernel that pads both sides equally (an odd
  kernel, or an even one with an even dilation); ``"valid"`` is padding 0; neither is
  taken by ``conv_transpose2d``, as in PyTorch;
- ``max_pool2d`` has no ``ceil_mode`` or ``return_indices``; ``avg_pool2d`` has no
  ``ceil_mode``, ``divisor_override``, and always counts the padding
  (``count_include_pad=True``);
- ``nn.Linear`` stores its weight as (in, out), the transpose of PyTorch's (out, in), so
  that ``x @ W`` reads as the lectures write it: transpose a PyTorch Linear's weight to
  load it;
- input, weight and bias must share one dtype (a TypeError otherwise), as in PyTorch.
"""
from .ops import (abs, add, avg_pool2d, bce_with_logits, broadcast_to, clip, concat, conv2d, conv_transpose2d,
                  dense, div, dropout, exp, expand_dims, gaussian_nll, getitem, iwae_bound, kl_normal, kl_normals,
                  leaky_relu, log, log1p, log_normal, log_softmax, logsumexp, matmul, max, max_pool2d, maximum,
                  mean, min, mse, mul, neg, pow, relu, reparameterize_kl,
                  reparameterize_log_ratio, reshape, sigmoid, softmax, softplus,
                  split, sqrt, stack, sub, sum, sum_to, swapaxes, tanh, to, transpose, upsample, where)

__all__ = [name for name in dir() if not name.startswith("_")]
