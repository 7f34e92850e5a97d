"""``Module``: a function with parameters, composed of other modules."""
import numpy as np

from .. import backend
from ..atomic import save_npz
from .parameter import Parameter


class Module:
    def __init__(self):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_params" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                   f"before assigning {name}")
            object.__setattr__(self, name, value)
            return
        for table in (self._params, self._modules, self._buffers):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # called only when normal lookup fails
        for table in ("_params", "_modules", "_buffers"):
            if name in self.__dict__.get(table, {}):
                return self.__dict__[table][name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def register_buffer(self, name, array):
        """State that is saved with the module but not trained (e.g. running statistics)."""
        self._buffers[name] = array

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args):
        raise NotImplementedError

    # --- walking the tree ---------------------------------------------------------
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}{name}.")

    def named_parameters(self):
        for prefix, m in self.named_modules():
            for name, p in m._params.items():
                yield prefix + name, p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self):
        for prefix, m in self.named_modules():
            for name, b in m._buffers.items():
                yield prefix + name, b

    def train(self, mode=True):
        for _, m in self.named_modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    @property
    def device(self):
        """Where the parameters live ("cpu" for a module without any)."""
        return next((p.device for p in self.parameters()), "cpu")

    def to(self, device):
        """Move every parameter and buffer to ``device``, in place."""
        backend.array_module(device)   # a clear error for an unknown or unavailable device
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            p.grad = None
            p.bump_version()
        for prefix, m in self.named_modules():
            for name, b in m._buffers.items():
                m._buffers[name] = backend.to_device(b, device)
        return self

    # --- state --------------------------------------------------------------------
    def state_dict(self):
        """Name -> NumPy copy of every parameter and buffer."""
        state = {name: backend.to_device(p.data, "cpu").copy() for name, p in self.named_parameters()}
        state.update((name, backend.to_device(b, "cpu").copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state):
        """Copy values in, bit for bit; names and shapes must match exactly (a module may
        name ``optional_buffers`` that an older state lacks: they are zeroed), and every value
        be real numbers, finite once cast to the module's dtype (a state may come from a
        file: nothing is copied unless all of it fits)."""
        own = dict(self.named_parameters())
        buffers = {prefix + name: (m, name) for prefix, m in self.named_modules() for name in m._buffers}
        optional = {name for name, (m, own_name) in buffers.items() if own_name in getattr(m, "optional_buffers", ())}
        missing = sorted((set(own) | set(buffers)) - set(state) - optional)
        unexpected = sorted(set(state) - set(own) - set(buffers))
        if missing or unexpected:
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        cast = {}
        for name, value in state.items():
            target = own[name].data if name in own else buffers[name][0]._buffers[buffers[name][1]]
            cast[name] = _checked(name, value, target)
        for name in optional - set(state):   # saved before the buffer existed: as a fresh module's
            module, own_name = buffers[name]
            module._buffers[own_name][...] = 0
        for name, value in cast.items():
            target = own[name].data if name in own else buffers[name][0]._buffers[buffers[name][1]]
            array = backend.array_module(backend.device_of(target)).asarray(value)
            if name in own:   # in place: a parameter that is a view (FlatOptimizer) stays one
                own[name].data[...] = array
                own[name].bump_version()
            else:             # in place too: a recorded CUDA graph keeps the buffer's address
                target[...] = array
        return self

    def save(self, path):
        """Write the state to an ``.npz`` file atomically (minivae.atomic)."""
        save_npz(path, self.state_dict())

    def load(self, path):
        with np.load(path, allow_pickle=False) as f:
            return self.load_state_dict({k: f[k] for k in f.files})


def _checked(name, value, target):
    """``value`` cast to ``target``'s dtype, once its shape, kind and finiteness are checked."""
    value = np.asarray(backend.to_device(value, "cpu")) if not isinstance(value, np.ndarray) else value
    if tuple(value.shape) != tuple(target.shape):
        raise ValueError(f"load_state_dict: {name} has shape {tuple(value.shape)}, the module expects "
                         f"{tuple(target.shape)}")
    if value.dtype.kind not in "fiub":
        raise ValueError(f"load_state_dict: {name} holds {value.dtype} values, not real numbers")
    with np.errstate(over="ignore", invalid="ignore"):
        cast = value.astype(np.dtype(target.dtype))
    if cast.dtype.kind == "f" and not np.isfinite(cast).all():
        raise ValueError(f"load_state_dict: {name} holds NaN or infinite values (as {cast.dtype})")
    return cast
