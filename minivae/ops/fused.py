"""``Fused``: an op computed by a hand-written kernel, with a composite of plain ops as its
reference.

The op's public function chooses: the kernel when ``minivae.kernels`` has one for the
device (and the fast mode is on), else ``reference``. The two compute the same function;
the kernel tests hold them to it. A kernel has no second derivative, so a backward pass
that must itself be differentiable (``create_graph=True``) differentiates the reference.
"""
from ..core import Function, grad, is_grad_enabled


class Fused(Function):
    keep_inputs = "all"   # the differentiable backward recomputes the reference from them

    def reference(self, *inputs):
        """The same function from plain, differentiable ops (Tensors in, Tensors out)."""
        raise NotImplementedError

    def backward_kernel(self, *gys):
        """Input gradients as arrays (None where not needed), from the kernel."""
        raise NotImplementedError

    def backward(self, *gys):
        if is_grad_enabled():  # create_graph: differentiate the reference instead
            xs = [self.inputs[i] for i in range(len(self.needs_grad))]
            wanted = [x for x, need in zip(xs, self.needs_grad) if need]
            outs = self.reference(*xs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            pairs = [(y, g) for y, g in zip(outs, gys) if y.requires_grad]
            gs = iter(grad([y for y, _ in pairs], wanted, [g for _, g in pairs],
                           create_graph=True, allow_unused=True))
            return tuple(next(gs) if need else None for need in self.needs_grad)
        wrap = type(gys[0])
        return tuple(None if g is None else wrap(g)
                     for g in self.backward_kernel(*(g.data for g in gys)))
