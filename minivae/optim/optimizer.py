"""The optimizer base: holds parameters and per-parameter state, updates ``p.data`` in place."""
import math
import re

import numpy as np

from .. import backend, kernels, trace


class Optimizer:
    # the per-parameter arrays an optimizer keeps: name -> whether it is never negative (a
    # sum or average of squares)
    BUFFERS = {}
    # for a profile: an update's arithmetic per element; whether a kernel ran the last one
    flops_per_element = 2
    kernel_ran = False

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
                self._update(p, state)
                p.bump_version()

    def replayed(self):
        """A step recorded in a CUDA graph ran again on the device: count it here too (the
        graph replays the update kernels, not this Python)."""
        self.steps += 1
        for state in self.state:
            if "step" in state:
                state["step"] += 1

    def keeps(self):
        """The buffers this optimizer, as set up, keeps for each parameter it has stepped."""
        return set(self.BUFFERS)

    @staticmethod
    def buffer(state, name, like):
        """The per-parameter array ``state[name]``, zeros the first time."""
        if name not in state:
            state[name] = backend.array_module(backend.device_of(like)).zeros_like(like)
        return state[name]

    def _update(self, p, state):
        """``update``, a span of the active trace, if any (minivae/trace.py)."""
        profile = trace.active
        if not profile:
            return self.update(p.data, p.grad.data, state)
        opened = profile.open(p.device)
        try:
            self.update(p.data, p.grad.data, state)
        finally:
            marks = profile.close(opened)
        if marks:
            profile.record(marks, self.described(p, state))

    def described(self, p, state):
        """A profile's record of one parameter's update (see Function.described): it reads the
        parameter, its gradient and its buffers, and writes the parameter and the buffers."""
        buffers = sum(1 for k, v in state.items() if k in self.BUFFERS and hasattr(v, "shape"))
        implementation = (kernels.implementation if self.kernel_ran else backend.library)(p.device)
        shape, size, itemsize = p.shape, p.size, p.dtype.itemsize
        name, flops = f"{type(self).__name__.lower()} update", self.flops_per_element * size
        return lambda: (name, "optimizer", implementation, str(shape), flops, (3 + 2 * buffers) * size * itemsize)

    def update(self, param, grad, state):
        """Update the array ``param`` in place from ``grad``; ``state`` persists per parameter."""
        raise NotImplementedError

    def state_dict(self):
        arrays = {f"{i}.{k}": backend.to_device(v, "cpu").copy() if k != "step" else np.asarray(v)
                  for i, s in enumerate(self.state) for k, v in s.items() if k != "device_step"}
        return {"lr": self.lr, "steps": self.steps, "state": arrays}

    def load_state_dict(self, state):
        """Load a ``state_dict``, every value checked first (it may come from a file): a
        ValueError names the first that does not fit these parameters."""
        arrays = check_state(state, self.params, self.BUFFERS, type(self).__name__, self.keeps())
        self.lr, self.steps = float(state["lr"]), int(state["steps"])
        self.state = [{} for _ in self.params]
        for (i, name), value in arrays.items():
            p = self.params[i]
            self.state[i][name] = value if name == "step" else backend.array_module(p.device).asarray(value)
        for s in self.state:   # a state saved before per-parameter steps: the global count
            if s and "step" not in s:
                s["step"] = self.steps


_KEY = re.compile(r"(0|[1-9][0-9]*)\.([a-z_]+)")


def check_state(state, params, buffers, owner, keeps=None):
    """The arrays of an optimizer's ``state_dict`` as {(parameter index, name): value},
    each one checked against the parameters: a key "i.name" with i a parameter's index and
    name "step" or one of ``buffers``; a step an integer of at least 1 (a bias correction
    at step 0 divides by zero); an array real, of its parameter's shape, finite once cast to
    its dtype, and not negative where ``buffers`` says so; and each parameter's state whole:
    none, or its step and every buffer in ``keeps`` (the step may be missing from every
    parameter alike: a state saved before steps were counted per parameter). Anything
    else: a ValueError."""
    def bad(what):
        raise ValueError(f"{owner} state: {what}")
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict):
        bad("not a state_dict (it needs lr, steps and state)")
    lr, steps = state.get("lr"), state.get("steps")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (math.isfinite(lr) and lr > 0):
        bad(f"lr must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        bad(f"steps must be a count, got {steps!r}")
    out = {}
    for key, value in state["state"].items():
        match = _KEY.fullmatch(str(key))
        if not match or int(match[1]) >= len(params) or (match[2] != "step" and match[2] not in buffers):
            bad(f"unknown entry {key!r} (expected i.step or i.{'/'.join(buffers) or '-'} for i below {len(params)})")
        i, name = int(match[1]), match[2]
        value = np.asarray(value)
        if name == "step":
            if value.shape != () or value.dtype.kind not in "iu" or int(value) < 1:
                bad(f"{key} must be a step count of at least 1, got {value!r}")
            out[i, name] = int(value)
            continue
        p = params[i]
        if value.dtype.kind not in "fiu":
            bad(f"{key} holds {value.dtype} values, not real numbers")
        if tuple(value.shape) != tuple(p.shape):
            bad(f"{key} has shape {tuple(value.shape)}; parameter {i} has shape {tuple(p.shape)}")
        with np.errstate(over="ignore", invalid="ignore"):
            cast = value.astype(p.dtype)
        if not np.isfinite(cast).all():
            bad(f"{key} holds NaN or infinite values (as {np.dtype(p.dtype)})")
        if buffers[name] and (cast < 0).any():
            bad(f"{key} holds negative values, which a {name} cannot")
        out[i, name] = cast
    keeps = set(buffers) if keeps is None else set(keeps)
    steps = any(name == "step" for _, name in out)
    for i in sorted({i for i, _ in out}):
        names = {name for j, name in out if j == i}
        whole = keeps | ({"step"} if steps else set())
        if names != whole:
            bad(f"parameter {i}'s state holds {', '.join(sorted(names))}; it needs {', '.join(sorted(whole))}")
    return out
