"""The op contract.

An op subclasses ``Function`` and writes
  * ``forward(*arrays) -> array or tuple of arrays``, on raw arrays through ``self.xp``;
  * ``backward(*grads) -> grad or tuple of grads``, one per input, written with Tensor
    ops so that a backward pass can itself be differentiated (``create_graph=True``).
    It computes only the gradients in ``self.needs_grad`` and returns None for the rest.
During ``backward`` the engine may set ``self.grad_into`` for an op that ``takes_grad_slots``:
per input, an array its gradient may be written into (a leaf's ``grad_slot``) or None; the
op returns that very array where it wrote there.
An op keeps only what its backward needs: ``keep_inputs`` / ``keep_outputs`` name the
Tensors to save (indices, or "all"), read back as ``self.inputs[i]`` / ``self.outputs[i]``;
anything else it stores itself, shapes rather than arrays where it can. Gradients of
broadcast inputs are reduced, and cast to each input's dtype, by the engine, so no op
deals with broadcasting or type promotion.

For a profile (minivae/trace.py, minivae/profiler.py) each call is a span, and the op says
what it costs from its shapes (``cost``: FLOPs and bytes) and what ran it
(``implementation``).

Saved outputs are held as their arrays and a weak reference to the output Tensor, never
the Tensor itself: an output holds its creator, so holding the output back would be a
reference cycle, and a forward pass that is never differentiated would stay in memory
until Python's cyclic collector ran. Saved inputs and outputs record their version
(``Node.version``); a backward pass after an in-place change to one of them (an optimizer
step between two backward passes of one graph) raises instead of using the new values.
"""
import math
import numbers
import re
import weakref

from .. import backend, kernels, trace
from .mode import is_grad_enabled
from .node import Node


class Function:
    keep_inputs = ()
    keep_outputs = ()
    any_dtype = False  # shape ops accept integer and bool tensors; math ops need floats
    # What a profile says of the op (``cost``, ``implementation``): its arithmetic per element,
    # whether its work is matrix products, whether a hand-written kernel ran it.
    flops_per_element = 1
    gemm = False
    kernel_ran = False
    takes_grad_slots = False   # whether its backward can write into ``grad_into`` (see above)
    grad_into = None

    def __call__(self, *inputs):
        # A profile's span is the whole call: the op's own Python (its inputs made tensors,
        # its outputs and graph links) is what calling it costs, as much as its kernel.
        profile, outputs = trace.active, None
        opened = profile.open(next((x.device for x in inputs if isinstance(x, Node)), "cpu")) if profile else None
        try:
            outputs = self._call(inputs)
        finally:
            if profile:
                marks = profile.close(opened)
                if marks and outputs is not None:   # a failed call is not recorded
                    ys = outputs if isinstance(outputs, tuple) else (outputs,)
                    profile.record(marks, self.described(profile.phase, self._profiled_inputs, _meta(ys)))
        return outputs

    def _call(self, inputs):
        inputs = _as_nodes(inputs, self)
        if not self.any_dtype:
            for x in inputs:
                if x.dtype.kind != "f":
                    raise TypeError(f"{self.name}: needs floating-point tensors, got dtype {x.dtype}")
        self.device = inputs[0].device
        self.xp = backend.array_module(self.device)
        if trace.active:
            self._profiled_inputs = _meta(inputs)
        try:
            ys = self.forward(*(x.data for x in inputs))
            ys = ys if isinstance(ys, tuple) else (ys,)
        except (ValueError, IndexError) as e:
            shapes = ", ".join(str(x.shape) for x in inputs)
            raise type(e)(f"{self.name}: {e} (input shapes {shapes})") from None
        outputs = tuple(type(inputs[0])(backend.as_array(y)) for y in ys)

        if is_grad_enabled() and any(x.requires_grad for x in inputs):
            self.generation = max(x.generation for x in inputs)
            # Edges to where each input's gradient goes: its creator's output slot, or the
            # leaf itself. Nothing else of the inputs is held unless the op keeps it.
            self.edges = [_edge(x) for x in inputs]
            self.needs_grad = [e is not None for e in self.edges]
            self.in_meta = [(x.shape, x.dtype) for x in inputs]
            self.out_meta = [(y.shape, y.dtype) for y in outputs]
            keep = range(len(inputs)) if self.keep_inputs == "all" else self.keep_inputs
            self.inputs = {i: inputs[i] for i in keep}
            self.versions = {i: inputs[i].version for i in keep}
            self.outputs = _SavedOutputs(self, {i: outputs[i] for i in self.keep_outputs}) \
                if self.keep_outputs else _NOTHING
            for i, y in enumerate(outputs):
                y.requires_grad, y.creator, y.index = True, self, i
                y.generation = self.generation + 1
        return outputs if len(outputs) > 1 else outputs[0]

    @property
    def name(self):
        """The class's name in snake case: BCEWithLogits -> bce_with_logits."""
        cls = type(self)
        if cls not in _NAMES:
            _NAMES[cls] = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", cls.__name__).lower()
        return _NAMES[cls]

    def cost(self, phase, ins, outs):
        """(FLOPs, bytes moved) of one ``phase`` ("forward" or "backward") call, from its inputs'
        and outputs' (shape, itemsize): what a profile rates the op by. By default an
        elementwise op's: ``flops_per_element`` per element of its largest operand; forward
        reads each input and writes each output once, backward reads the output gradients
        and the inputs and writes the input gradients."""
        flops = self.flops_per_element * max(math.prod(shape) for shape, _ in ins + outs)
        moved = sum(math.prod(shape) * size for shape, size in ins + outs)
        if phase != "forward":
            moved += sum(math.prod(shape) * size for shape, size in ins)
        return flops, moved

    def view_cost(self, phase, ins, outs):
        """``cost`` of an op that returns a view: nothing computed, nothing moved."""
        return 0, 0

    def products_cost(self, phase, flops, ins, outs):
        """``cost`` of an op whose work is a product of ``flops`` (2 a multiply-add): once
        forward, and once backward for each of its first two inputs' gradients that it
        computes; bytes as ``Function.cost`` counts them."""
        moved = Function.cost(self, phase, ins, outs)[1]
        return (flops if phase == "forward" else flops * sum(self.needs_grad[:2])), moved

    def implementation(self):
        """What ran the op: a hand-written kernel (and the library of its products), or the
        array library."""
        return (kernels.implementation if self.kernel_ran else backend.library)(self.device, self.gemm)

    def described(self, phase, ins, outs):
        """A profile's record of one call, read after the profile: a callable giving (name,
        phase, implementation, shapes, flops, bytes), the shapes written out then."""
        name, implementation, (flops, moved) = self.name, self.implementation(), self.cost(phase, ins, outs)
        # nothing of the op is held: a kept op would keep its arrays (masks, saved values) alive
        return lambda: (name, phase, implementation, " ".join(str(tuple(shape)) for shape, _ in ins), flops, moved)

    def check_versions(self):
        """Raise if a saved input or output was changed in place after it was saved."""
        if not (self.versions or self.outputs.saved):
            return
        changed = [f"input {i}" for i, v in self.versions.items() if self.inputs[i].version != v]
        changed += self.outputs.changed()
        if changed:
            raise RuntimeError(
                f"backward through {self.name}: its saved {', '.join(changed)} was modified in "
                "place (an optimizer step, say) after the forward pass; recompute the forward "
                "pass, or call backward before the change")

    def release(self):
        """Drop the graph links and saved tensors after a backward pass."""
        self.edges = self.inputs = self.outputs = None

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError


_NAMES = {}   # op class -> its name


class _SavedOutputs:
    """``outputs[i]``: the output Tensor while its user still holds it; once dropped, a new
    node for the same output slot (same array, same creator and index), so the backward
    pass and a graph built from it (``create_graph``) are unchanged."""

    def __init__(self, fn, outputs):
        self.fn = fn and weakref.ref(fn)   # fn holds this object: a strong reference is a cycle
        self.saved = {i: (weakref.ref(y), y.data, y.version, type(y)) for i, y in outputs.items()}

    def __getitem__(self, i):
        ref, data, _, cls = self.saved[i]
        y = ref()
        if y is None:
            fn = self.fn()
            y = cls(data)
            y.requires_grad, y.creator, y.index, y.generation = True, fn, i, fn.generation + 1
        return y

    def __len__(self):
        return len(self.saved)

    def changed(self):
        out = []
        for i, (ref, _, version, _) in self.saved.items():
            y = ref()
            if y is not None and y.version != version:
                out.append(f"output {i}")
        return out


_NOTHING = _SavedOutputs(None, {})


def _meta(values):
    """(shape, itemsize) of each Tensor or array."""
    return [(tuple(v.shape), v.dtype.itemsize) for v in values]


def _edge(x):
    if not x.requires_grad:
        return None
    return x if x.creator is None else (x.creator, x.index)


def _as_nodes(inputs, fn):
    """Tensors pass through; plain numbers and arrays become constants with the dtype
    and device of the tensors they meet, so ``x * 2.0`` stays float32."""
    like = next((x for x in inputs if isinstance(x, Node)), None)
    if like is None:
        raise TypeError(f"{fn.name}: expected at least one Tensor argument, got "
                        + ", ".join(type(x).__name__ for x in inputs))
    devices = {x.device for x in inputs if isinstance(x, Node)}
    if len(devices) > 1:
        raise ValueError(f"{fn.name}: tensors on different devices {sorted(devices)}; move them with .to()")
    xp = backend.array_module(like.device)
    out = []
    for x in inputs:
        if isinstance(x, Node):
            out.append(x)
            continue
        if not isinstance(x, numbers.Number) and not hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
            raise TypeError(f"{fn.name}: cannot use a {type(x).__name__} as a tensor")
        dtype = like.dtype if like.dtype.kind == "f" else backend.DEFAULT_DTYPE
        # a number is filled in on the device (its value a kernel argument): no copy from the
        # host, whose staging buffer a recorded CUDA graph would read again at every replay
        out.append(type(like)(xp.full((), x, dtype=dtype) if isinstance(x, numbers.Number)
                              else xp.asarray(x, dtype=dtype)))
    return out
