"""Losses and log densities in their numerically stable forms.

``reduction`` is ``"mean"`` (over all elements), ``"sum"``, ``"none"``, or ``"rows"``: summed
over the last axis, one value per example (a negative log-likelihood per example).
The diagonal-Gaussian functions reduce over the last axis: one value per sample.
"""
import math

import numpy as np

from .. import backend
from .activation import relu
from .elementwise import abs, exp, log1p
from .fused import Fused


REDUCTIONS = ("mean", "sum", "none", "rows")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    if reduction == "rows":
        return loss.sum(-1)
    raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")


def _check_same_shape(name, a, b):
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} differ")


def _check_broadcast(name, *tensors):
    shapes = [t.shape for t in tensors if hasattr(t, "shape")]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: shapes {', '.join(map(str, shapes))} do not broadcast together") from None


class BCEWithLogits(Fused):
    """The loss and its gradient sigma(l) - t computed together; a "sum" or "mean" is
    accumulated in the same pass, so the elementwise loss is never stored."""
    kernel = "bce_with_logits"
    flops_per_element = 8   # max, |l|, exp, log1p, the products; sigma(l) - t for the gradient

    def __init__(self, reduction):
        self.reduction = reduction

    def fits(self, logits, target):
        return logits.ndim == 2

    def reference(self, l, t):
        return _reduce(relu(l) * (1.0 - t) + relu(-l) * t + log1p(exp(-abs(l))), self.reduction)

    def forward(self, logits, target):
        loss, self.dlogits = self.kernels.bce_with_logits(logits, target, total=self.reduction in ("sum", "mean"),
                                                          rows=self.reduction == "rows")
        self.scale = 1.0
        if self.reduction == "mean":   # a mean over no elements is NaN, as for mean()
            self.scale = 1.0 / logits.size if logits.size else float("nan")
        return loss * loss.dtype.type(self.scale) if self.reduction == "mean" else loss

    def backward_kernel(self, g):
        if self.reduction == "rows":
            g = g[:, None]
        # Always the product, even where g is 1: telling would read g back from the device
        # (a sync per step, and refused inside a CUDA-graph capture).
        dlogits = self.kernels.bce_with_logits_backward(self.dlogits, g, self.scale) if self.needs_grad[0] else None
        if self.needs_grad[1]:
            g = g * g.dtype.type(self.scale)
        return dlogits, (-g * self.inputs[0].data if self.needs_grad[1] else None)

    def release(self):
        super().release()
        self.dlogits = None


def bce_with_logits(logits, target, reduction="mean"):
    """-[t log sigma(l) + (1 - t) log(1 - sigma(l))] = softplus(l) - t l
    = max(l, 0) (1 - t) + max(-l, 0) t + log(1 + exp(-|l|)): stable for any l, and +inf
    (not NaN) for a logit of +inf with target 0 or -inf with target 1."""
    _check_same_shape("bce_with_logits", logits, target)
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return BCEWithLogits(reduction)(logits, target)


def _gaussian_nll(x, mean, logvar):
    if isinstance(logvar, (int, float)):
        return ((x - mean) ** 2 * math.exp(-logvar) + (math.log(2 * math.pi) + logvar)) * 0.5
    return ((x - mean) ** 2 * exp(-logvar) + logvar + math.log(2 * math.pi)) * 0.5


class GaussianNLLRows(Fused):
    """The Gaussian negative log-likelihood summed over each row, for x and mean of shape
    (n, d) and one log-variance per dimension, (d,): the decoder's likelihood in one pass
    each way (kernels/*/gaussian_nll.py)."""
    kernel = "gaussian_nll_rows"
    flops_per_element = 6   # the difference, its square, the scale, the sums; the same back
    takes_grad_slots = True   # d logvar written where the engine says (a learned log-variance's slot)

    def fits(self, x, mean, logvar):
        return x.ndim == 2 and x.shape == mean.shape and logvar.shape == x.shape[1:]

    def reference(self, x, mean, logvar):
        return _gaussian_nll(x, mean, logvar).sum(-1)

    def forward(self, x, mean, logvar):
        return self.kernels.gaussian_nll_rows(x, mean, logvar)

    def backward_kernel(self, g):
        x, mean, logvar = (self.inputs[i].data for i in range(3))
        gmean, glv = self.kernels.gaussian_nll_rows_backward(x, mean, logvar, g, self.needs_grad[2],
                                                             into=self.grad_into)
        return (-gmean if self.needs_grad[0] else None, gmean if self.needs_grad[1] else None,
                glv if self.needs_grad[2] else None)


def gaussian_nll(x, mean, logvar=0.0, reduction="mean"):
    """-log N(x; mean, exp(logvar)) per element: 0.5 [log 2pi + logvar + (x - mean)^2 / var].

    ``logvar`` is a number for a fixed variance, or a tensor for a learned one; mean and
    logvar broadcast against x (one posterior against L samples of it, say). Summed over
    rows (``"rows"``) with a log-variance per dimension or one for all, it is one fused op.
    """
    _check_broadcast("gaussian_nll", x, mean, logvar)
    if reduction == "rows" and getattr(x, "ndim", 0) == 2 and getattr(mean, "shape", None) == x.shape:
        lv = logvar
        if isinstance(logvar, (int, float)):   # one for all: a constant (d,) view of one value
            xp = backend.array_module(x.device)
            lv = type(x)(xp.broadcast_to(xp.full((1,), logvar, x.dtype), x.shape[1:]))
        if lv.shape == x.shape[1:]:
            return GaussianNLLRows()(x, mean, lv)
    return _reduce(_gaussian_nll(x, mean, logvar), reduction)


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


def kl_normals(mean_q, logvar_q, mean_p, logvar_p):
    """KL(N(mean_q, diag(exp(logvar_q))) || N(mean_p, diag(exp(logvar_p)))) =
    0.5 sum(logvar_p - logvar_q + (exp(logvar_q) + (mean_q - mean_p)^2) / exp(logvar_p) - 1),
    over the last axis: the KL against a learned prior (the CVAE's P(z|X))."""
    for other in (logvar_q, mean_p, logvar_p):
        _check_same_shape("kl_normals", mean_q, other)
    d = mean_q - mean_p
    return ((exp(logvar_q) + d * d) * exp(-logvar_p) + logvar_p - logvar_q - 1.0).sum(-1) * 0.5
