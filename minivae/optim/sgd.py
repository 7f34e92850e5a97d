from .optimizer import Optimizer


class SGD(Optimizer):
    """p -= lr * v, v = momentum * v + g  (g includes weight_decay * p)."""

    BUFFERS = {"velocity": False}

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov

    def keeps(self):
        return {"velocity"} if self.momentum else set()

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            v = self.buffer(state, "velocity", p)
            v *= self.momentum
            v += g
            g = g + self.momentum * v if self.nesterov else v
        p -= self.lr * g
