from .. import backend, kernels
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): with t the step count,
        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds weight_decay * p to g (L2, as in torch.optim.Adam)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def update(self, p, g, state):
        b1, b2 = self.betas
        m, v = self.buffer(state, "m", p), self.buffer(state, "v", p)
        fused = kernels.lookup("adam_step", backend.device_of(p))
        if fused is not None and p.flags.c_contiguous and p.dtype == g.dtype:
            fused(p, g, m, v, self.lr, b1, b2, self.eps, self.weight_decay, self.steps)
            return
        if self.weight_decay:
            g = g + self.weight_decay * p
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        m_hat = m / (1 - b1 ** self.steps)
        v_hat = v / (1 - b2 ** self.steps)
        p -= self.lr * m_hat / (v_hat ** 0.5 + self.eps)
