"""Functions on tensors, as in ``torch.nn.functional``: ``import minivae.functional as F``."""
from .ops import (abs, add, bce_with_logits, broadcast_to, clip, concat, dense, div, dropout, exp,
                  expand_dims, gaussian_nll, getitem, iwae_bound, kl_normal, leaky_relu, log, log1p,
                  log_normal, log_softmax, logsumexp, matmul, max, maximum, mean, min, mse, mul,
                  neg, pow, relu, reparameterize_kl, reshape, sigmoid, softmax, softplus, split,
                  sqrt, stack, sub, sum, sum_to, swapaxes, tanh, to, transpose, where)

__all__ = [name for name in dir() if not name.startswith("_")]
