"""The contractive autoencoder (Rifai et al. 2011): reconstruction plus
lam * ||dz/dx||_F^2, which makes the code insensitive to small moves of the input.

The Jacobian's squared Frobenius norm is sum_k ||d z_k / dx||^2, one row per code unit,
each row a gradient taken with create_graph=True so that the penalty itself is trained
(double backward). For a one-layer sigmoid encoder z = sigma(x W + c) it has the closed
form sum_j (z_j (1 - z_j))^2 sum_i W_ij^2, which ``closed_form_penalty`` computes and the
loss then uses (the same value in one pass instead of z_dim backward passes).

``jacobian="decoder"`` is the lecture's "another possible regularization not mentioned in
literature": Omega'_c = lam sum_i ||d g(z_i) / d z_i||_F^2, the decoder made flat around
each code. Its Jacobian is tall (x_dim rows, z_dim columns), so it is read a column at a
time: J^T u is one backward pass, linear in u, and J e_k = d (J^T u)_k / du a second one
(the double-vjp trick); z_dim + 1 passes instead of x_dim.
"""
import numpy as np

from .. import functional as F
from ..core import enable_grad, grad, is_grad_enabled, no_grad
from ..ops import Tensor
from .autoencoder import Autoencoder


class ContractiveAutoencoder(Autoencoder):
    def __init__(self, x_dim, z_dim=8, hidden=(), lam=0.1, activation="sigmoid", jacobian="encoder", **kwargs):
        if jacobian not in ("encoder", "decoder"):
            raise ValueError(f"ContractiveAutoencoder: jacobian must be 'encoder' or 'decoder', got {jacobian!r}")
        super().__init__(x_dim, z_dim, hidden, activation=activation, code_activation=activation, **kwargs)
        self.lam, self.jacobian = lam, jacobian
        self.one_sigmoid_layer = not hidden and activation == "sigmoid"

    def jacobian_penalty(self, x):
        """||dz/dx||_F^2 per example; differentiable in the parameters when grad is on.
        Being a gradient itself, it needs the graph even inside ``no_grad``."""
        training = is_grad_enabled()
        with enable_grad():
            x = Tensor(x.data, requires_grad=True)
            z = self.encode(x)
            total = 0.0
            for k in range(self.z_dim):
                (row,) = grad(z[:, k].sum(), x, retain_graph=True, create_graph=training)  # d z_k / dx
                total = (row * row).sum(-1) + total
        return total if training else total.detach()

    def decoder_jacobian_penalty(self, z):
        """||d g(z) / dz||_F^2 per example, g(z) the reconstruction's mean; differentiable
        in the parameters (the encoder's too, through z) when grad is on."""
        training = is_grad_enabled()
        with enable_grad():
            if not z.requires_grad:
                z = Tensor(z.data, requires_grad=True)
            out = self.data_mean(self.decode(z))
            u = Tensor(out.data * 0, requires_grad=True)
            (vjp,) = grad((out * u).sum(), z, create_graph=True)                          # J^T u
            total = 0.0
            for k in range(self.z_dim):
                (column,) = grad(vjp[:, k].sum(), u, retain_graph=True, create_graph=training)  # J e_k
                total = (column * column).sum(-1) + total
        return total if training else total.detach()

    def tangents(self, x, k=5):
        """The leading right singular vectors of dz/dx at one input x, (k, x_dim), and
        their singular values: the directions the code follows (Rifai et al.'s tangents)."""
        if self.one_sigmoid_layer:   # dz_j/dx_i = z_j (1 - z_j) W_ij
            with no_grad():
                z = self.encode(self.as_input(np.asarray(x, np.float32)[None])).numpy()[0]
            _, values, vectors = np.linalg.svd((z * (1 - z))[:, None] * self.encoder[0].weight.numpy().T,
                                               full_matrices=False)
            return vectors[:k], values[:k]
        rows = []
        with enable_grad():
            xt = Tensor(self.as_input(np.asarray(x, np.float32)[None]).data, requires_grad=True)
            z = self.encode(xt)
            for j in range(self.z_dim):
                (row,) = grad(z[:, j].sum(), xt, retain_graph=True)
                rows.append(row.numpy()[0])
        _, values, vectors = np.linalg.svd(np.stack(rows), full_matrices=False)
        return vectors[:k], values[:k]

    def closed_form_penalty(self, x):
        """The same quantity for a one-layer sigmoid encoder."""
        layer = self.encoder[0]
        z = F.sigmoid(x @ layer.weight + layer.bias)
        slope = z * (1.0 - z)
        return (slope * slope * (layer.weight * layer.weight).sum(0)).sum(-1)

    def loss(self, x, y=None):
        x = self.as_input(x)
        z = self.encode(x)
        recon = self.reconstruction_error(x, z).mean()
        if self.jacobian == "decoder":
            penalty = self.decoder_jacobian_penalty(z).mean()
        else:
            penalty = (self.closed_form_penalty(x) if self.one_sigmoid_layer else self.jacobian_penalty(x)).mean()
        return recon + penalty * self.lam, {"recon": recon, "contraction": penalty}
