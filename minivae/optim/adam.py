from .. import backend, kernels
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): with t this parameter's step count,
        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds weight_decay * p to g (L2, as in torch.optim.Adam).
    ``amsgrad`` (Reddi et al. 2018) divides by the largest v so far, v_max = max(v_max, v),
    instead of v, so that the step size never grows.

    ``device_steps`` (GPU): t lives in device memory too and the update kernel bumps and
    reads it there, so that a step recorded in a CUDA graph applies the next bias
    corrections on each replay (``replayed`` keeps the host count in step). Such a step
    may be gated: ``step(gate=loss)`` changes nothing, on the device, where ``loss`` is not
    finite, so that a replayed step keeps the last good parameters."""

    BUFFERS = {"m": False, "v": True, "v_max": True}
    flops_per_element = 12

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, device_steps=False):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.amsgrad = bool(amsgrad)
        self.device_steps = bool(device_steps)
        if self.device_steps:
            devices = {p.device for p in self.params}
            if amsgrad or devices != {"cuda"} or kernels.kernel_for("cuda", "adam_step_counted") is None:
                raise ValueError("Adam: device_steps needs parameters on cuda, the fast kernels and no amsgrad; "
                                 f"got devices {sorted(devices)}, amsgrad={amsgrad}, kernels {kernels.kernel_mode()}")
            bad = [i for i, p in enumerate(self.params) if not p.data.flags.c_contiguous]
            if bad:   # the kernel updates p in place: a copy would leave the parameter as it was
                raise ValueError(f"Adam: device_steps updates parameters in place; parameters {bad} are not "
                                 "C-contiguous")
        self._gate = None

    def keeps(self):
        return {"m", "v", "v_max"} if self.amsgrad else {"m", "v"}

    def step(self, gate=None):
        """One step; ``gate`` (device_steps only): a one-element array, the step's loss, that
        the update kernels read, skipping the step on the device where it is not finite."""
        if gate is not None and not self.device_steps:
            raise ValueError("Adam: a gated step needs device_steps (the eager step checks its loss on the host)")
        self._gate = gate
        try:
            super().step()
        finally:
            self._gate = None

    def update(self, p, g, state):
        b1, b2 = self.betas
        t = state["step"]
        m, v = self.buffer(state, "m", p), self.buffer(state, "v", p)
        v_max = self.buffer(state, "v_max", p) if self.amsgrad else None
        if self.device_steps:
            if "device_step" not in state:   # made eagerly, before any capture
                state["device_step"] = backend.array_module("cuda").asarray([t - 1], dtype="uint64")
            self.kernel_ran = True
            kernels.on("cuda").adam_step_counted(p, g, m, v, self.lr, b1, b2, self.eps, self.weight_decay,
                                                 state["device_step"], self._gate)
            return
        fused = kernels.kernel_for(backend.device_of(p), "adam_step", p, g)
        self.kernel_ran = fused is not None and p.flags.c_contiguous
        if self.kernel_ran:
            fused(p, g, m, v, self.lr, b1, b2, self.eps, self.weight_decay, t, v_max)
            return
        xp = backend.array_module(backend.device_of(p))
        if self.weight_decay:
            g = g + self.weight_decay * p
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if v_max is not None:
            xp.maximum(v_max, v, out=v_max)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v if v_max is None else v_max) / (1 - b2 ** t)
        p -= self.lr * m_hat / (v_hat ** 0.5 + self.eps)
