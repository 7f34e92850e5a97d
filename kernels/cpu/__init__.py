"""The CPU kernels (Numba), by the names the ops call them: ``minivae.kernels.on("cpu")``.
kernels/cuda has the same names for the kernels it has; a name missing on a device means
the op takes its NumPy/CuPy reference there. Importing this module compiles nothing: Numba
compiles each kernel at its first call, into its on-disk cache."""
from .adam import step as adam_step
from .bce import backward as bce_with_logits_backward, forward as bce_with_logits
from .conv import (backward_act as conv2d_act_backward, data_grad as conv2d_data_grad, forward as conv2d_forward,
                   forward_act as conv2d_act_forward, transpose_act as conv_transpose2d_act_forward,
                   transpose_backward_act as conv_transpose2d_act_backward, weight_grad as conv2d_weight_grad)
from .dense import backward as dense_backward, forward as dense_forward
from .gaussian_nll import backward as gaussian_nll_rows_backward, forward as gaussian_nll_rows
from .iwae import forward as iwae_weights
from .philox import normal as philox_normal, words as philox_words
from .reparameterize_kl import backward as reparameterize_kl_backward, forward as reparameterize_kl_forward
from .reparameterize_log_ratio import (backward as reparameterize_log_ratio_backward,
                                       forward as reparameterize_log_ratio_forward)
