"""Ops that move values around without arithmetic: reshape, transpose, indexing, joining."""
from .. import backend
from ..core import Function, Node, broadcast_to, sum_to  # noqa: F401  (re-exported)


class Reshape(Function):
    any_dtype = True
    flops_per_element = 0
    copied = False

    def __init__(self, shape):
        self.shape = shape

    def cost(self, phase, ins, outs):   # a view, unless the input's strides forced a copy
        return Function.cost(self, phase, ins, outs) if self.copied else (0, 0)

    def forward(self, x):
        self.x_shape = x.shape
        y = x.reshape(self.shape)
        self.copied = y.base is None and x.size > 0
        return y

    def backward(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    any_dtype = True
    cost = Function.view_cost   # its backward is a transpose too

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return transpose(gy, inverse)


class GetItem(Function):
    any_dtype = True
    flops_per_element = 0   # copies, no arithmetic

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, gy):
        return GetItemGrad(self.index, self.x_shape)(gy)


class GetItemGrad(Function):
    """The adjoint of indexing: scatter gy into zeros, summing repeated indices."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        gx = self.xp.zeros(self.shape, gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy
        else:
            backend.scatter_add(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


class Concat(Function):
    any_dtype = True
    flops_per_element = 0   # copies, no arithmetic

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        return split(gy, _offsets(self.sizes), self.axis) if len(self.sizes) > 1 else gy


class Split(Function):
    any_dtype = True
    flops_per_element = 0

    def cost(self, phase, ins, outs):   # views; the backward joins the gradients, a copy at most
        return (0, 0) if phase == "forward" else Function.cost(self, phase, ins, outs)

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        return tuple(self.xp.split(x, self.indices, axis=self.axis))

    def backward(self, *gys):
        # The parts' gradients may already lie side by side in one buffer (the fused
        # reparameterization writes d mu and d logvar so): then they join without a copy.
        if all(g.creator is None for g in gys):
            whole = backend.joined([g.data for g in gys], self.axis)
            if whole is not None:
                return type(gys[0])(whole)
        return concat(gys, self.axis)


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _offsets(sizes):
    out, total = [], 0
    for n in sizes[:-1]:
        total += n
        out.append(total)
    return out


def _index_arrays(index, device):
    """Tensors and lists inside an index become arrays on the indexed tensor's device."""
    xp = backend.array_module(device)
    fix = lambda p: p.data if isinstance(p, Node) else (xp.asarray(p) if isinstance(p, list) else p)
    return tuple(fix(p) for p in index) if isinstance(index, tuple) else fix(index)


def reshape(x, shape):
    if isinstance(shape, int):
        shape = (shape,)
    if tuple(shape) == x.shape:
        return x
    return Reshape(tuple(shape))(x)


def transpose(x, axes=None):
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(a % x.ndim for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation for shape {x.shape}")
    return Transpose(axes)(x)


def swapaxes(x, a, b):
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def expand_dims(x, axis):
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def getitem(x, index):
    return GetItem(_index_arrays(index, x.device))(x)


def concat(xs, axis=0):
    xs = list(xs)
    if not xs:
        raise ValueError("concat: needs at least one tensor")
    return Concat(axis)(*xs)


def stack(xs, axis=0):
    xs = list(xs)
    if not xs:
        raise ValueError("stack: needs at least one tensor")
    shapes = {x.shape for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need one shape, got {sorted(shapes)}")
    return concat([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis=0):
    """Like ``numpy.split``: a number of equal sections, or the indices to cut at."""
    if isinstance(indices_or_sections, int):
        n = x.shape[axis]
        if n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {n} does not divide into "
                             f"{indices_or_sections} equal sections (shape {x.shape})")
        step = n // indices_or_sections
        indices_or_sections = [step * i for i in range(1, indices_or_sections)]
    out = Split(list(indices_or_sections), axis)(x)
    return out if isinstance(out, tuple) else (out,)
