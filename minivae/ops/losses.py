"""Losses and log densities in their numerically stable forms.

``reduction`` is ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.
The diagonal-Gaussian functions reduce over the last axis: one value per sample.
"""
import math

from .. import kernels
from .activation import softplus
from .elementwise import exp
from .fused import Fused


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_shape(name, a, b):
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} differ")


class BCEWithLogits(Fused):
    """Elementwise loss and its gradient sigma(l) - t computed in one kernel pass."""

    def reference(self, logits, target):
        return softplus(logits) - logits * target

    def forward(self, logits, target):
        loss, self.dlogits = kernels.lookup("bce_with_logits", self.device)(logits, target)
        return loss

    def backward_kernel(self, g):
        return (g * self.dlogits if self.needs_grad[0] else None,
                -g * self.inputs[0].data if self.needs_grad[1] else None)

    def release(self):
        super().release()
        self.dlogits = None


def bce_with_logits(logits, target, reduction="mean"):
    """-[t log sigma(l) + (1 - t) log(1 - sigma(l))] = softplus(l) - t l, stable for any l."""
    _check_same_shape("bce_with_logits", logits, target)
    op = BCEWithLogits()
    fast = kernels.lookup("bce_with_logits", logits.device) is not None and logits.ndim == 2
    return _reduce(op(logits, target) if fast else op.reference(logits, target), reduction)


def gaussian_nll(x, mean, logvar=0.0, reduction="mean"):
    """-log N(x; mean, exp(logvar)) per element: 0.5 [log 2pi + logvar + (x - mean)^2 / var].

    ``logvar`` is a number for a fixed variance, or a tensor for a learned one.
    """
    _check_same_shape("gaussian_nll", x, mean)
    if isinstance(logvar, (int, float)):
        nll = ((x - mean) ** 2 * math.exp(-logvar) + (math.log(2 * math.pi) + logvar)) * 0.5
    else:
        nll = ((x - mean) ** 2 * exp(-logvar) + logvar + math.log(2 * math.pi)) * 0.5
    return _reduce(nll, reduction)


def mse(a, b, reduction="mean"):
    _check_same_shape("mse", a, b)
    return _reduce((a - b) ** 2, reduction)


def log_normal(x, mean, logvar):
    """log N(x; mean, diag(exp(logvar))), summed over the last axis."""
    return -gaussian_nll(x, mean, logvar, reduction="none").sum(-1)


def kl_normal(mean, logvar):
    """KL(N(mean, diag(exp(logvar))) || N(0, I)) = 0.5 sum(exp(logvar) + mean^2 - 1 - logvar),
    over the last axis (Kingma & Welling 2014, Appendix B)."""
    _check_same_shape("kl_normal", mean, logvar)
    return (exp(logvar) + mean * mean - logvar - 1.0).sum(-1) * 0.5
