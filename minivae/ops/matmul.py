"""Matrix product, with NumPy's rules for 1-D operands and batch broadcasting."""
import math

from ..core import Function
from .shape import reshape, swapaxes


class MatMul(Function):
    keep_inputs = (0, 1)
    gemm = True
    name = "matmul"

    def cost(self, phase, ins, outs):
        return self.products_cost(phase, 2 * math.prod(outs[0][0]) * ins[0][0][-1], ins, outs)

    def forward(self, a, b):
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"inner dimensions differ: {a.shape} @ {b.shape}")
        return a @ b

    def backward(self, gy):
        a, b = self.inputs[0], self.inputs[1]
        return (matmul(gy, swapaxes(b, -1, -2)) if self.needs_grad[0] else None,
                matmul(swapaxes(a, -1, -2), gy) if self.needs_grad[1] else None)


def matmul(a, b):
    """a @ b. A 1-D operand is a row (left) or column (right) vector, then dropped."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: scalars are not matrices (shapes {a.shape} @ {b.shape})")
    if a.ndim == 1 and b.ndim == 1:   # the inner product, a scalar
        return reshape(matmul(reshape(a, (1, -1)), reshape(b, (-1, 1))), ())
    if a.ndim == 1:
        out = matmul(reshape(a, (1, -1)), b)
        return reshape(out, out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        return reshape(matmul(a, reshape(b, (-1, 1))), a.shape[:-1])
    return MatMul()(a, b)
