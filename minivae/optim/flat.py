"""All parameters in one flat buffer, so that an optimizer step is one kernel launch.

Each parameter's ``data`` becomes a view into one array, and its ``grad_slot`` a view into
a second, where the ops that can write their gradients (dense layers) write them; the
others' are gathered there before a step. The wrapped optimizer updates the whole buffer at once:
one Adam kernel instead of one per parameter, which is what a training step captured in a
CUDA graph needs (static buffers, few launches). A parameter without a gradient counts as
a zero gradient here (its moments still decay), where the per-parameter optimizers skip
it; with every gradient present the two agree.
"""
import numpy as np

from .. import backend
from ..ops import Tensor
from .adam import Adam
from .optimizer import check_state


class FlatOptimizer:
    def __init__(self, params, optimizer=Adam, **kwargs):
        self.params = list(params)
        if not self.params:
            raise ValueError("FlatOptimizer: got no parameters to optimize")
        kinds = {(p.dtype, p.device) for p in self.params}
        if len(kinds) > 1:
            raise ValueError(f"FlatOptimizer: parameters of one dtype on one device, got {sorted(map(str, kinds))}")
        (dtype, device), = kinds
        xp = backend.array_module(device)
        self.slices, total = [], 0
        for p in self.params:
            self.slices.append(slice(total, total + p.size))
            total += p.size
        self.buffer = xp.empty(total, dtype)
        for p, where in zip(self.params, self.slices):
            self.buffer[where] = p.data.reshape(-1)
            p.data = self.buffer[where].reshape(p.shape)   # a view: the optimizer's writes show
            p.bump_version()
        self.flat = Tensor(self.buffer, requires_grad=True)
        self.grads = xp.zeros(total, dtype)
        for p, where in zip(self.params, self.slices):   # ops may write gradients here (core/engine.py)
            p.grad_slot = self.grads[where].reshape(p.shape)
        self.inner = optimizer([self.flat], **kwargs)

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self, **kwargs):
        """Gather the gradients, then one step of the wrapped optimizer (``kwargs``: its own,
        such as Adam's ``gate``)."""
        for p, where in zip(self.params, self.slices):
            if p.grad is None or p.grad.data is not p.grad_slot:   # else written there already
                self.grads[where] = 0 if p.grad is None else p.grad.data.reshape(-1)
        self.flat.grad = Tensor(self.grads)
        self.inner.step(**kwargs)
        for p in self.params:
            p.bump_version()

    def replayed(self):
        self.inner.replayed()

    def state_dict(self):
        """Per parameter, as the wrapped optimizer keeps it without the flat buffer, so that
        a checkpoint loads into either (and on either device)."""
        flat = self.inner.state_dict()
        state = {}
        for key, value in flat["state"].items():
            name = key.split(".", 1)[1]
            for i, (p, where) in enumerate(zip(self.params, self.slices)):
                state[f"{i}.{name}"] = value if name == "step" else value[where].reshape(p.shape)
        return {**flat, "state": state}

    def load_state_dict(self, state):
        """From per-parameter state: a parameter without some buffer gets zeros there, and
        the one step count is the largest (they agree when every parameter had gradients)."""
        checked = check_state(state, self.params, self.inner.BUFFERS, f"FlatOptimizer({type(self.inner).__name__})",
                              self.inner.keeps())
        per_param = {f"{i}.{name}": value for (i, name), value in checked.items()}
        names = {name for _, name in checked}
        flat = {}
        if "step" in names:
            flat["0.step"] = max(int(v) for k, v in per_param.items() if k.endswith(".step"))
        for name in names - {"step"}:
            flat[f"0.{name}"] = np.concatenate([
                np.asarray(backend.to_device(per_param[f"{i}.{name}"], "cpu")).reshape(-1)
                if f"{i}.{name}" in per_param else np.zeros(p.size, p.dtype) for i, p in enumerate(self.params)])
        self.inner.load_state_dict({**state, "state": flat})
