"""Learning-rate schedules, stepped once per epoch: ``schedule.step()`` sets ``optimizer.lr``."""


class Schedule:
    def __init__(self, optimizer):
        self.optimizer, self.base_lr, self.epoch = optimizer, optimizer.lr, 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch):
        raise NotImplementedError

    def step(self):
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(Schedule):
    """lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


def staged_lr(epoch, base_lr, stages=8, base=3, decay=10 ** (-1 / 7)):
    """The learning rate of the IWAE paper's schedule at ``epoch`` (0-based)."""
    i, end = 0, 1
    while epoch >= end and i < stages - 1:
        i += 1
        end += base ** i
    return base_lr * decay ** i


class StagedLR(Schedule):
    """The IWAE paper's schedule (Burda et al. 2016, Sec. 5): stage i = 0, 1, ... lasts
    base**i epochs at lr * decay**i, with base 3 and decay 10**(-1/7). Eight stages make
    3280 epochs; after the last stage the rate stays at the last stage's."""

    def __init__(self, optimizer, stages=8, base=3, decay=10 ** (-1 / 7)):
        self.stages, self.base, self.decay = stages, base, decay
        super().__init__(optimizer)

    @property
    def total_epochs(self):
        return sum(self.base ** i for i in range(self.stages))

    def lr_at(self, epoch):
        return staged_lr(epoch, self.base_lr, self.stages, self.base, self.decay)


def kl_warmup(epoch, warmup_epochs, beta=1.0):
    """The KL weight at ``epoch`` when it rises linearly from 0 to ``beta`` over
    ``warmup_epochs`` (Bowman et al. 2016; Sonderby et al. 2016)."""
    if warmup_epochs <= 0:
        return beta
    return beta * min(1.0, epoch / warmup_epochs)
