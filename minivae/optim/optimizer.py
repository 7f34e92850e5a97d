"""The optimizer base: holds parameters and per-parameter state, updates ``p.data`` in place."""
import numpy as np

from .. import backend


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimize")
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be positive, got {lr}")
        self.lr = lr
        self.steps = 0
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient. Each keeps its own step count
        (``state["step"]``), so one that had no gradient for a while is not treated as
        having taken those steps (as in PyTorch)."""
        self.steps += 1
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                state["step"] = state.get("step", 0) + 1
                self.update(p.data, p.grad.data, state)
                p.bump_version()

    def replayed(self):
        """A step recorded in a CUDA graph ran again on the device: count it here too (the
        graph replays the update kernels, not this Python)."""
        self.steps += 1
        for state in self.state:
            if "step" in state:
                state["step"] += 1

    @staticmethod
    def buffer(state, name, like):
        """The per-parameter array ``state[name]``, zeros the first time."""
        if name not in state:
            state[name] = backend.array_module(backend.device_of(like)).zeros_like(like)
        return state[name]

    def update(self, param, grad, state):
        """Update the array ``param`` in place from ``grad``; ``state`` persists per parameter."""
        raise NotImplementedError

    def state_dict(self):
        arrays = {f"{i}.{k}": backend.to_device(v, "cpu").copy() if k != "step" else np.asarray(v)
                  for i, s in enumerate(self.state) for k, v in s.items() if k != "device_step"}
        return {"lr": self.lr, "steps": self.steps, "state": arrays}

    def load_state_dict(self, state):
        self.lr, self.steps = state["lr"], state["steps"]
        self.state = [{} for _ in self.params]
        for key, value in state["state"].items():
            i, name = key.split(".", 1)
            p = self.params[int(i)]
            if name == "step":
                self.state[int(i)][name] = int(value)
            else:
                self.state[int(i)][name] = backend.array_module(p.device).asarray(value, dtype=p.dtype)
        for s in self.state:   # a state saved before per-parameter steps: the global count
            if s and "step" not in s:
                s["step"] = self.steps
