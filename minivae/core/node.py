"""A value in the computation graph: its array, its gradient, and the op that made it.

``Node`` holds what a backward walk needs (creator, generation, version, grad) but neither
the walk (``engine``) nor the math; ``minivae.Tensor`` (in ``minivae.ops``) is the Node that
carries the operators and ``backward()``.
"""
from .. import backend


class Node:
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad=False):
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, got dtype {data.dtype}")
        self.data = data
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.creator = None   # the Function that produced this value; None for a leaf
        self.index = 0        # which output of its creator this is
        self.generation = 0   # 0 for leaves; one more than the creator's generation
        self.version = 0      # bumped by every in-place change of ``data`` (see bump_version)
        self.grad_slot = None  # a leaf's: an array its gradient may be written into (see core/engine.py)

    # --- what the array is --------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = str(self.numpy()).replace("\n", "\n       ")
        extra = f", device='{self.device}'" if self.device != "cpu" else ""
        extra += ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}, dtype={self.dtype}{extra})"

    # --- leaving the graph --------------------------------------------------------
    def numpy(self):
        """The values as a NumPy array (copied to the host for a CUDA tensor)."""
        return backend.to_device(self.data, "cpu")

    def item(self):
        if self.size != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def detach(self):
        """The same values, cut off from the graph."""
        return type(self)(self.data)

    # --- gradients (Tensor.backward walks them: minivae.core.engine) -------------
    def bump_version(self):
        """Record that ``data`` was changed in place (as an optimizer step does), so that a
        backward pass through an op that saved the old values raises instead of silently
        using the new ones."""
        self.version += 1

    def zero_grad(self):
        self.grad = None
