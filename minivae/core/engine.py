"""Reverse-mode differentiation: walk the graph from the outputs back to the leaves.

Functions are visited in decreasing generation order (a heap), so each runs once, after
every consumer of its outputs has sent it gradient; no recursion. Gradients are keyed by
edge: ``(creator, output index)`` for an intermediate value, the Node itself for a leaf.
Each gradient is reduced to its input's shape (``sum_to``) and cast to its input's dtype
(``astype``) on its way along an edge.

A leaf's ``.grad`` is an array of its own, which the user and the optimizers may change in
place (``clip_grad_norm`` does): a gradient that is a view (a broadcast, a reshape), that
an op keeps, or that another leaf got too (``add`` sends one gradient to both inputs) is
copied first.

A leaf may name where its gradient goes (``grad_slot``: ``FlatOptimizer`` gives each
parameter a view of its one gradient buffer). ``backward`` offers the slot to the op that
first sends the leaf a gradient, if the op can use it (``takes_grad_slots``, then
``Function.grad_into``), while the leaf has no ``.grad``;
an op that writes there spares the copy into the buffer, and the slot becomes ``.grad``.
A second contribution is added as usual, into a new array.
"""
import heapq
import itertools

from .. import backend, trace
from .broadcast import sum_to
from .cast import astype
from .mode import set_grad_enabled
from .node import Node


def backward(outputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """Accumulate the gradient of ``outputs`` into the ``.grad`` of every leaf reached."""
    grads = _run(outputs, grad_outputs, retain_graph, create_graph, keep=(), slots=not create_graph)
    given = set()
    with set_grad_enabled(create_graph), trace.phase("engine"):
        for leaf, g in grads.items():
            if isinstance(leaf, Node):
                leaf.grad = _own(g, given, leaf) if leaf.grad is None else leaf.grad + g


def _own(g, given, leaf):
    """``g``, or a copy of it where its array is not its own to give (see the docstring)."""
    if g.data is leaf.grad_slot:
        return g
    if backend.owns_data(g.data) and id(g.data) not in given:
        given.add(id(g.data))
        return g
    if g.creator is not None:   # create_graph: a copy that stays in the graph
        return g * 1.0
    return type(g)(g.data.copy())


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple.

    Leaves' ``.grad`` are left alone. With ``create_graph=True`` the results are part of a
    graph and can be differentiated again.
    """
    single = isinstance(inputs, Node)
    inputs = [inputs] if single else list(inputs)
    for x in inputs:
        if not isinstance(x, Node) or not x.requires_grad:
            raise ValueError("grad: every input must be a Tensor with requires_grad=True")
    keys = [x if x.creator is None else (x.creator, x.index) for x in inputs]
    grads = _run(outputs, grad_outputs, retain_graph, create_graph, keep=keys)
    result = []
    for x, key in zip(inputs, keys):
        g = grads.get(key)
        if g is None and not allow_unused:
            raise ValueError(f"grad: an input of shape {x.shape} was not used to compute the "
                             "outputs (pass allow_unused=True to get None for it)")
        result.append(g)
    return tuple(result)


def _slots(fn, grads):
    """Per input of ``fn``, the slot its gradient may be written into: a leaf's ``grad_slot``
    of the input's shape and dtype while the leaf has no gradient, pending or given; else
    None (and None for all, when there is none)."""
    into = [edge.grad_slot if isinstance(edge, Node) and edge.grad_slot is not None and edge.grad is None
            and edge not in grads and (edge.grad_slot.shape, edge.grad_slot.dtype) == meta else None
            for edge, meta in zip(fn.edges, fn.in_meta)]
    return into if any(a is not None for a in into) else None


def _run(outputs, grad_outputs, retain_graph, create_graph, keep, slots=False):
    outputs = [outputs] if isinstance(outputs, Node) else list(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Node) or hasattr(grad_outputs, "shape"):
        grad_outputs = [grad_outputs]
    retain_graph = create_graph if retain_graph is None else retain_graph

    grads, heap, queued, tie = {}, [], set(), itertools.count()

    def push(fn):
        if fn is not None and id(fn) not in queued:
            queued.add(id(fn))
            heapq.heappush(heap, (-fn.generation, next(tie), fn))

    def accumulate(key, g):
        grads[key] = g if key not in grads else grads[key] + g

    # the ops the walk runs itself (sums of gradients, reductions to shape, casts) are its own phase
    with set_grad_enabled(create_graph), trace.phase("engine"):
        for y, g in zip(outputs, grad_outputs):
            if not y.requires_grad:
                raise ValueError(f"backward: a tensor of shape {y.shape} does not require grad")
            accumulate(y if y.creator is None else (y.creator, y.index), _seed_grad(y, g))
            push(y.creator)

        while heap:
            fn = heapq.heappop(heap)[2]
            if fn.edges is None:
                raise RuntimeError(f"backward through {fn.name} a second time: its graph was "
                                   "freed; pass retain_graph=True to the first backward")
            into = slots and fn.takes_grad_slots and _slots(fn, grads)
            if into:
                fn.grad_into = into
            gxs = _backward(fn, grads, keep, outputs[0])
            if into:
                fn.grad_into = None
            gxs = gxs if isinstance(gxs, tuple) else (gxs,)
            for edge, (shape, dtype), gx in zip(fn.edges, fn.in_meta, gxs):
                if edge is None or gx is None:
                    continue
                accumulate(edge, astype(sum_to(gx, shape), dtype))
                if isinstance(edge, tuple):
                    push(edge[0])
            if not retain_graph:
                fn.release()
    return grads


def _gradients(fn, grads, keep, like):
    """The gradients of ``fn``'s outputs, taken from ``grads`` (kept there for the ``keep``
    keys); zeros for an output that no path used."""
    gys = []
    for i, (shape, dtype) in enumerate(fn.out_meta):
        key = (fn, i)
        g = grads.get(key) if key in keep else grads.pop(key, None)
        if g is None:
            g = type(like)(backend.array_module(like.device).zeros(shape, dtype))
        gys.append(g)
    return gys


def _backward(fn, grads, keep, like):
    """``fn.backward`` on its output gradients once its saved values are checked: a span of
    the active trace, if any (minivae/trace.py), which bills gathering the gradients and the
    check to the op, as a forward span bills its whole call."""
    profile = trace.active
    if not profile:
        fn.check_versions()
        return fn.backward(*_gradients(fn, grads, keep, like))
    opened = profile.open(fn.device)
    try:
        fn.check_versions()
        gxs = fn.backward(*_gradients(fn, grads, keep, like))
    finally:
        marks = profile.close(opened)
    if marks:
        profile.record(marks, fn.described("backward", [(s, d.itemsize) for s, d in fn.in_meta],
                                           [(s, d.itemsize) for s, d in fn.out_meta]))
    return gxs


def _seed_grad(y, g):
    if g is None:
        if y.size != 1:
            raise ValueError(f"backward: a tensor of shape {y.shape} is not a scalar; pass "
                             "grad= (a tensor of the same shape) to say which combination to differentiate")
        return type(y)(backend.array_module(y.device).ones(y.shape, y.dtype))
    if isinstance(g, Node) and g.creator is None:
        g = g.data
    if not isinstance(g, Node):   # the caller's array: a view, so that a leaf copies it
        g = type(y)(backend.array_module(y.device).asarray(g, dtype=y.dtype)[...])
    if g.shape != y.shape:
        raise ValueError(f"backward: grad has shape {g.shape} but the tensor has shape {y.shape}")
    return g
