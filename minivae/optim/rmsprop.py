from .optimizer import Optimizer


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2;  p -= lr * g / (sqrt(v) + eps)  (Tieleman & Hinton 2012,
    lecture 6.5): each weight's step scaled by a running RMS of its recent gradients, which
    VAE/GAN (Larsen et al. 2016) trains its three players with."""

    BUFFERS = {"square_avg": True}

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"RMSprop: rho must be in [0, 1), got {rho}")
        self.rho, self.eps, self.weight_decay = rho, eps, weight_decay

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = self.buffer(state, "square_avg", p)
        v *= self.rho
        v += (1.0 - self.rho) * g * g
        p -= self.lr * g / (v ** 0.5 + self.eps)
