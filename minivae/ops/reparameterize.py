"""The reparameterization trick and the Gaussian KL, fused (Kingma & Welling 2014, Sec. 2.4
and Appendix B):

    z  = mu + exp(lv / 2) * eps,                        eps ~ N(0, I)
    kl = 0.5 * sum_j (exp(lv) + mu^2 - 1 - lv)          = KL(N(mu, exp(lv)) || N(0, I))

The log-variance clamp: lv = clip(logvar, -30, 30). Within that range exp(lv) and its
square root stay finite in float32 (e^30 ~ 1e13), so z, kl and their gradients are never
inf or NaN for any input. Outside it the outputs do not depend on logvar, and its
gradient is 0, exactly as for ``clip``; a posterior standard deviation of e^15 or e^-15
is far beyond anything a trained encoder produces.
"""
from .elementwise import exp
from .fused import Fused
from .selection import clip

LOGVAR_MIN, LOGVAR_MAX = -30.0, 30.0


class ReparameterizeKL(Fused):
    kernel = "reparameterize_kl_forward"
    flops_per_element = 8   # clip, exp, z = mu + s eps; the KL's squares and sums

    def fits(self, mu, logvar, eps):
        return mu.ndim == 2   # the kernels take (batch, dims)

    def reference(self, mu, logvar, eps):
        lv = clip(logvar, LOGVAR_MIN, LOGVAR_MAX)
        z = mu + exp(lv * 0.5) * eps
        kl = (exp(lv) + mu * mu - 1.0 - lv).sum(-1) * 0.5
        return z, kl

    def forward(self, mu, logvar, eps):
        return self.kernels.reparameterize_kl_forward(mu, logvar, eps, LOGVAR_MIN, LOGVAR_MAX)

    def backward_kernel(self, gz, gkl):
        mu, logvar, eps = (self.inputs[i].data for i in range(3))
        gmu, glv = self.kernels.reparameterize_kl_backward(mu, logvar, eps, gz, gkl, LOGVAR_MIN, LOGVAR_MAX)
        geps = None
        if self.needs_grad[2]:   # rarely wanted: eps is noise; dz/deps = exp(lv / 2)
            geps = gz * self.xp.exp(0.5 * self.xp.clip(logvar, LOGVAR_MIN, LOGVAR_MAX))
        return (gmu if self.needs_grad[0] else None, glv if self.needs_grad[1] else None, geps)


def reparameterize_kl(mu, logvar, eps):
    """(z, kl per sample) for a diagonal Gaussian posterior; see the module docstring."""
    if not (mu.shape == logvar.shape == eps.shape):
        raise ValueError(f"reparameterize_kl: mu {mu.shape}, logvar {logvar.shape} and eps "
                         f"{eps.shape} must have one shape")
    return ReparameterizeKL()(mu, logvar, eps)
