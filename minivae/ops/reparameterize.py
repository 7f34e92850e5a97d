"""The reparameterization trick fused with the density term its bound needs: the Gaussian
KL of the VAE's ELBO (Kingma & Welling 2014, Sec. 2.4 and Appendix B),

    z  = mu + exp(lv / 2) * eps,                        eps ~ N(0, I)
    kl = 0.5 * sum_j (exp(lv) + mu^2 - 1 - lv)          = KL(N(mu, exp(lv)) || N(0, I)),

or, for importance weights (IWAE, Burda et al. 2016), each sample's log ratio of prior to
posterior. (z - mu) / exp(lv / 2) is eps itself, so log q(z|x) = -0.5 sum_j (eps^2 + lv + log 2 pi)
and log p(z) = -0.5 sum_j (z^2 + log 2 pi):

    log p(z) - log q(z|x) = 0.5 * sum_j (eps^2 + lv - z^2),

with k samples per input stacked sample-major, as the IWAE's rows: eps of shape (k, n, d)
against mu and logvar of (n, d).

The log-variance clamp: lv = clip(logvar, -30, 30). Within that range exp(lv) and its
square root stay finite in float32 (e^30 ~ 1e13), so z, kl and their gradients are never
inf or NaN for any input. Outside it the outputs do not depend on logvar, and its
gradient is 0, exactly as for ``clip``; a posterior standard deviation of e^15 or e^-15
is far beyond anything a trained encoder produces.
"""
from .elementwise import exp
from .fused import Fused
from .selection import clip
from .shape import reshape

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


class ReparameterizeLogRatio(Fused):
    kernel = "reparameterize_log_ratio_forward"
    flops_per_element = 10   # clip, exp, z = mu + s eps; eps^2 + lv - z^2 and the sum

    def fits(self, mu, logvar, eps):
        return mu.ndim == 2 and eps.ndim == 3   # the kernels take (n, d) against (k, n, d)

    def reference(self, mu, logvar, eps):
        lv = clip(logvar, LOGVAR_MIN, LOGVAR_MAX)
        z = mu + exp(lv * 0.5) * eps
        return z, (eps * eps + lv - z * z).sum(-1) * 0.5

    def forward(self, mu, logvar, eps):
        return self.kernels.reparameterize_log_ratio_forward(mu, logvar, eps, LOGVAR_MIN, LOGVAR_MAX)

    def backward_kernel(self, gz, gr):
        mu, logvar, eps = (self.inputs[i].data for i in range(3))
        gmu, glv = self.kernels.reparameterize_log_ratio_backward(mu, logvar, eps, gz, gr, LOGVAR_MIN, LOGVAR_MAX)
        geps = None
        if self.needs_grad[2]:   # rarely wanted: dz/deps = s, d ratio/deps = eps - z s
            xp = self.xp
            s = xp.exp(0.5 * xp.clip(logvar, LOGVAR_MIN, LOGVAR_MAX))
            geps = (gz - gr[..., None] * (mu + s * eps)) * s + gr[..., None] * eps
        return (gmu if self.needs_grad[0] else None, glv if self.needs_grad[1] else None, geps)


def reparameterize_log_ratio(mu, logvar, eps):
    """(z, log p(z) - log q(z|x) per sample) for a diagonal Gaussian posterior and the prior
    N(0, I): mu and logvar (n, d); eps (n, d), or (k, n, d) for k samples of each input,
    giving z (k, n, d) and the ratio (k, n). See the module docstring."""
    if not (mu.shape == logvar.shape and eps.shape[-mu.ndim:] == mu.shape and eps.ndim in (mu.ndim, mu.ndim + 1)):
        raise ValueError(f"reparameterize_log_ratio: mu {mu.shape} and logvar {logvar.shape} must have one "
                         f"shape, and eps {eps.shape} that shape or (k,) + it")
    if eps.ndim == mu.ndim == 2:   # one sample each: the kernels' (1, n, d)
        z, ratio = ReparameterizeLogRatio()(mu, logvar, eps.reshape((1,) + eps.shape))   # a Tensor's or an array's
        return reshape(z, eps.shape), reshape(ratio, eps.shape[:1])
    return ReparameterizeLogRatio()(mu, logvar, eps)
