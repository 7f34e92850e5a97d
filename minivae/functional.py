"""Functions on tensors, as in ``torch.nn.functional``: ``import minivae.functional as F``."""
from .ops import (abs, add, avg_pool2d, bce_with_logits, broadcast_to, clip, concat, conv2d, conv_transpose2d,
                  dense, div, dropout, exp, expand_dims, gaussian_nll, getitem, iwae_bound, kl_normal, kl_normals,
                  leaky_relu, log, log1p, log_normal, log_softmax, logsumexp, matmul, max, max_pool2d, maximum,
                  mean, min, mse, mul, neg, pow, relu, reparameterize_kl, reshape, sigmoid, softmax, softplus,
                  split, sqrt, stack, sub, sum, sum_to, swapaxes, tanh, to, transpose, upsample, where)

__all__ = [name for name in dir() if not name.startswith("_")]
