"""The importance-weighted bound of Burda et al. (2016), per sample, from log-weights
log w_i = log p(x, h_i) - log q(h_i | x), i = 1..k:

    L_k = log (1/k) sum_i w_i = logsumexp_i(log w_i) - log k                    (eq. 8)
    dL_k/d log w_i = w~_i = w_i / sum_j w_j, the normalized weights          (eq. 14)

so the gradient of L_k is the weights times the gradient of each log w_i, the weights
being treated as constants. A row of -inf gives -inf and zero weights, never NaN.
"""
import math

from .fused import Fused
from .softmax import logsumexp, softmax


class IWAEBound(Fused):
    """L_k; ``weights``, the normalized weights, as an array once it has run."""
    kernel = "iwae_weights"

    def reference(self, logw):
        self.weights = softmax(logw, -1).data
        return logsumexp(logw, -1) - math.log(logw.shape[-1])

    def forward(self, logw):
        out, self.weights = self.kernels.iwae_weights(logw)
        return out

    def backward_kernel(self, g):
        return (self.weights * g[:, None],)

    def release(self):
        super().release()
        self.weights = None


def iwae_bound(logw):
    """(L_k per sample, normalized weights) for log-weights of shape (batch, k).
    The weights come back detached: constants, as in the IWAE gradient."""
    if logw.ndim != 2 or logw.shape[1] < 1:
        raise ValueError(f"iwae_bound: log-weights must have shape (batch, k) with k >= 1, got {logw.shape}")
    op = IWAEBound()
    bound = op(logw)
    return bound, type(logw)(op.weights)
