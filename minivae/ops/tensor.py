"""``Tensor``: a graph Node with NumPy-like operators, each a call to one op."""
import numpy as np

from .. import backend
from ..core import Node, astype, backward
from . import activation, arithmetic, device, elementwise, reduction
from . import shape as shape_ops
from .matmul import matmul
from .softmax import logsumexp


class Tensor(Node):
    # --- operators --------------------------------------------------------------
    def __add__(self, other): return arithmetic.add(self, other)
    def __radd__(self, other): return arithmetic.add(other, self)
    def __sub__(self, other): return arithmetic.sub(self, other)
    def __rsub__(self, other): return arithmetic.sub(other, self)
    def __mul__(self, other): return arithmetic.mul(self, other)
    def __rmul__(self, other): return arithmetic.mul(other, self)
    def __truediv__(self, other): return arithmetic.div(self, other)
    def __rtruediv__(self, other): return arithmetic.div(other, self)
    def __pow__(self, exponent): return arithmetic.pow(self, exponent)
    def __rpow__(self, base): return arithmetic.pow(base, self)
    def __matmul__(self, other): return matmul(self, _like(other, self))
    def __rmatmul__(self, other): return matmul(_like(other, self), self)
    def __neg__(self): return arithmetic.neg(self)
    def __getitem__(self, index): return shape_ops.getitem(self, index)

    # --- gradients ----------------------------------------------------------------
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``retain_graph`` defaults to ``create_graph``, as in PyTorch.
        """
        backward([self], None if grad is None else [grad], retain_graph, create_graph)

    # --- methods ----------------------------------------------------------------
    def sum(self, axis=None, keepdims=False): return reduction.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return reduction.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return reduction.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return reduction.min(self, axis, keepdims)
    def logsumexp(self, axis=None, keepdims=False): return logsumexp(self, axis, keepdims)
    def exp(self): return elementwise.exp(self)
    def log(self): return elementwise.log(self)
    def log1p(self): return elementwise.log1p(self)
    def sqrt(self): return elementwise.sqrt(self)
    def abs(self): return elementwise.abs(self)
    def tanh(self): return activation.tanh(self)
    def sigmoid(self): return activation.sigmoid(self)
    def relu(self): return activation.relu(self)

    def reshape(self, *shape):
        return shape_ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        return shape_ops.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))

    @property
    def T(self):
        return shape_ops.transpose(self)

    def astype(self, dtype):
        """The values in another dtype; the gradient comes back in this one."""
        return astype(self, backend.array_module(self.device).dtype(dtype))

    def to(self, device_name):
        return device.to(self, device_name)

    def __reduce__(self):  # pickling keeps the values, never the graph
        return (tensor, (self.numpy(), self.requires_grad))


def _like(x, t):
    return x if isinstance(x, Node) else Tensor(backend.array_module(t.device).asarray(x, dtype=t.dtype))


def tensor(data, requires_grad=False, dtype=None, device="cpu"):
    """A new leaf tensor. Python numbers and lists become float32 unless ``dtype`` says
    otherwise; arrays keep their dtype; integer and bool arrays stay integer and bool."""
    if isinstance(data, Node):
        data = data.data
    xp = backend.array_module(device)
    if dtype is None and not hasattr(data, "dtype"):
        probe = np.asarray(data)
        if probe.dtype.kind not in "biuf":
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data "
                            f"(dtype {probe.dtype})")
        dtype = backend.DEFAULT_DTYPE
    data = backend.to_device(data, device) if hasattr(data, "dtype") else data
    array = xp.array(data, dtype=dtype, copy=True)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tensor: cannot make a tensor from data of dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)
