"""``Fused``: an op computed by a hand-written kernel, with a composite of plain ops as its
reference.

Calling the op chooses, in one place: the kernel when the device's kernel module
(``minivae.kernels.on(device)``) has the op's ``kernel``, for inputs of one dtype that the op
``fits``, else ``reference``. The two compute the same function; the kernel tests hold them
to it. A kernel has no second derivative, so a backward pass that must itself be
differentiable (``create_graph=True``) differentiates the reference.
"""
from .. import kernels
from ..core import Function, Node, grad, is_grad_enabled


class Fused(Function):
    kernel = None         # its forward kernel's name, the same in every device's kernel module
    keep_inputs = "all"   # the differentiable backward recomputes the reference from them

    def __call__(self, *inputs):
        tensors = [x for x in inputs if isinstance(x, Node)]
        device = tensors[0].device
        if kernels.kernel_for(device, self.kernel, *(x.data for x in tensors)) is None or not self.fits(*inputs):
            return self.reference(*inputs)
        self.kernels, self.kernel_ran = kernels.on(device), True
        return super().__call__(*inputs)

    def fits(self, *inputs):
        """Whether the kernel takes these inputs (a shape it handles, ...)."""
        return True

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
