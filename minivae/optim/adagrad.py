from .optimizer import Optimizer


class Adagrad(Optimizer):
    """p -= lr * g / (sqrt(sum of g^2 so far) + eps)  (Duchi et al. 2011)."""

    BUFFERS = {"sum_sq": True}

    def __init__(self, params, lr=0.01, eps=1e-10, weight_decay=0.0):
        super().__init__(params, lr)
        self.eps, self.weight_decay = eps, weight_decay

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        s = self.buffer(state, "sum_sq", p)
        s += g * g
        p -= self.lr * g / (s ** 0.5 + self.eps)
