"""The ops: each defined once, forward on arrays and backward beside it."""
from .activation import ACTIVATIONS, activate, check_activation, leaky_relu, relu, sigmoid, softplus, tanh
from .arithmetic import add, div, mul, neg, pow, sub
from .conv import channels_last, conv2d, conv_transpose2d
from .dense import dense
from .device import to
from .dropout import dropout
from .elementwise import abs, exp, log, log1p, sqrt
from .iwae import iwae_bound
from .losses import bce_with_logits, gaussian_nll, kl_normal, kl_normals, log_normal, mse
from .matmul import matmul
from .pool import avg_pool2d, max_pool2d, upsample
from .reduction import max, mean, min, sum
from .reparameterize import reparameterize_kl, reparameterize_log_ratio
from .selection import clip, maximum, where
from .shape import broadcast_to, concat, expand_dims, getitem, reshape, split, stack, sum_to, swapaxes, transpose
from .softmax import log_softmax, logsumexp, softmax
from .tensor import Tensor, tensor
