"""The conditional VAE as the Diabolo lecture writes it (Sohn et al. 2015; Doersch's
tutorial, Fig. 3b), for hole filling: X is the observed part of an image, Y the hidden part,
and the model is of P(Y|X):

  recognition   Q(z|Y, X) = N(mu_q(x), diag(exp(logvar_q(x))))   from the whole image x = (X, Y)
  prior         P(z|X)    = N(mu_p(X), diag(exp(logvar_p(X))))     learned, from X alone
  generation    P(Y|z, X)                                          Bernoulli or Gaussian on Y

  log P(Y|X) - D[Q(z|Y,X) || P(z|Y,X)] = E_{z~Q(.|Y,X)}[log P(Y|z,X)] - D[Q(z|Y,X) || P(z|X)]

so the loss is -log P(Y|z,X) + KL(Q(z|Y,X) || P(z|X)), one z per image. To fill a hole,
z is drawn from the prior P(z|X), which sees only what is observed, and Y from P(Y|z,X):
different z, different completions of the same X. The hidden part is the ``hole``, a box
(top, bottom, left, right) of the image, the bottom half by default.

The class-conditional CVAE (a label y in both networks, an N(0, I) prior) is cvae.py.
"""
import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..nn import MLP
from .base import Model
from .conv import image_shape_of
from .likelihood import Likelihood


class HoleFillingCVAE(Model):
    generative = False                 # it draws Y given X (``fill``), not images from nothing
    pictures = ("reconstructions",)    # the hole filled from the prior's mean code

    def __init__(self, x_dim, z_dim=8, hidden=(256,), activation="relu", likelihood="bernoulli", hole=None,
                 image_shape=None, generator=None):
        super().__init__(generator)
        _, rows, cols = image_shape_of(x_dim, image_shape, "HoleFillingCVAE")
        hole = (rows // 2, rows, 0, cols) if hole is None else tuple(int(v) for v in hole)
        top, bottom, left, right = hole
        if len(hole) != 4 or not (0 <= top < bottom <= rows and 0 <= left < right <= cols) or \
                (bottom - top) * (right - left) == rows * cols:
            raise ValueError(f"HoleFillingCVAE: hole must be (top, bottom, left, right) inside the {rows} x {cols} "
                             f"image, hiding part of it, got {hole}")
        mask = np.zeros((rows, cols), bool)
        mask[top:bottom, left:right] = True
        if x_dim != rows * cols:
            raise ValueError(f"HoleFillingCVAE: one channel of {rows} x {cols} pixels, not {x_dim} values")
        self.x_dim, self.z_dim, self.hole = x_dim, z_dim, list(hole)
        self.hidden_index = np.flatnonzero(mask.ravel())     # Y
        self.seen_index = np.flatnonzero(~mask.ravel())      # X
        n_y, n_x = len(self.hidden_index), len(self.seen_index)
        self.recognition = MLP([x_dim, *hidden, 2 * z_dim], activation, generator=generator)          # Q(z|Y,X)
        self.prior = MLP([n_x, *hidden, 2 * z_dim], activation, generator=generator)                  # P(z|X)
        self.generation = MLP([z_dim + n_x, *reversed(hidden), n_y], activation, generator=generator)  # P(Y|z,X)
        self.likelihood = Likelihood(likelihood, n_y, sigma=1.0)

    def parts(self, x):
        """(X, Y): the observed and the hidden pixels."""
        return x[:, self.seen_index], x[:, self.hidden_index]

    def encode(self, x, y=None):
        """Q(z|Y, X)'s mean and log-variance, from the whole image."""
        return F.split(self.recognition(x), 2, axis=-1)

    def prior_of(self, seen):
        """P(z|X)'s mean and log-variance, from the observed pixels alone."""
        return F.split(self.prior(seen), 2, axis=-1)

    def code(self, x, y=None):
        return self.encode(x)[0]

    def generate(self, z, seen):
        """P(Y|z, X): logits (or means) of the hidden pixels."""
        return self.generation(F.concat([z, seen], axis=1))

    def loss(self, x, y=None):
        x = self.as_input(x)
        seen, hidden = self.parts(x)
        mu_q, logvar_q = self.encode(x)
        mu_p, logvar_p = self.prior_of(seen)
        z = mu_q + F.exp(logvar_q * 0.5) * self.generator.normal(mu_q.shape)
        recon = -self.likelihood.log_prob(hidden, self.generate(z, seen)).mean()
        kl = F.kl_normals(mu_q, logvar_q, mu_p, logvar_p).mean()
        return recon + kl, {"recon": recon, "kl": kl, "elbo": -(recon + kl)}

    def fill(self, x, n=1, generator=None):
        """n completions of each image's hole: z ~ P(z|X), Y = E[Y|z, X], the observed
        pixels kept. Shape (len(x), n, x_dim)."""
        with no_grad():
            x = self.as_input(x)
            seen = self.parts(x)[0]
            mu_p, logvar_p = self.prior_of(seen)
            eps = (generator or self.generator).normal((n,) + tuple(mu_p.shape), dtype=mu_p.dtype)
            out = []
            for i in range(n):
                z = mu_p + F.exp(logvar_p * 0.5) * self.constant(eps[i])
                out.append(self._completed(x, self.data_mean(self.generate(z, seen))))
            return np.stack(out, axis=1)

    def reconstruct(self, x, y=None):
        """The hole filled from the prior's mean code, E[Y | z = mu_p(X), X]."""
        with no_grad():
            x = self.as_input(x)
            seen = self.parts(x)[0]
            return self._completed(x, self.data_mean(self.generate(self.prior_of(seen)[0], seen)))

    def _completed(self, x, hidden):
        full = backend.to_device(x.data, "cpu").copy()
        full[:, self.hidden_index] = backend.to_device(hidden.data, "cpu")
        return full
