"""The CUDA kernels (CuPy), by the names the ops call them: ``minivae.kernels.on("cuda")``,
the same names as kernels/cpu's for the kernels both devices have. The CUDA sources are
compiled at the first launch (module.py)."""
from .adam import step as adam_step, step_counted as adam_step_counted
from .bce import backward as bce_with_logits_backward, forward as bce_with_logits
from .conv import data_grad as conv2d_data_grad, forward as conv2d_forward, weight_grad as conv2d_weight_grad
from .dense import backward as dense_backward, forward as dense_forward
from .gaussian_nll import backward as gaussian_nll_rows_backward, forward as gaussian_nll_rows
from .iwae import forward as iwae_weights
from .reparameterize_kl import backward as reparameterize_kl_backward, forward as reparameterize_kl_forward
from .reparameterize_log_ratio import (backward as reparameterize_log_ratio_backward,
                                       forward as reparameterize_log_ratio_forward)
