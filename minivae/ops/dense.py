"""The dense layer y = act(x @ W + b) as one op, so that its kernel can fuse the bias and
the activation into one pass after the GEMM (kernels/cpu/dense.py)."""
import math

from .activation import FUSED, activate, check_activation
from .fused import Fused
from .matmul import matmul
from .shape import reshape


class Dense(Fused):
    kernel = "dense_forward"
    gemm = True
    takes_grad_slots = True   # its kernels write dW and db where the engine says

    def __init__(self, activation, slope):
        self.activation, self.slope = activation, slope

    def fits(self, x, W, b):
        # The kernels' backward reads act'(v) off the output y: for leaky_relu, v > 0 iff y > 0,
        # which fails for a negative slope (then y > 0 on both sides), so that takes the reference.
        return not (self.activation == "leaky_relu" and self.slope < 0)

    def reference(self, x, W, b):
        return activate(matmul(x, W) + b, self.activation, self.slope)

    def cost(self, phase, ins, outs):
        """2 N K M for x @ W (and as much for each of dx, dW), 2 N M for the bias and act."""
        (x, _), (w, _) = ins[:2]
        n, (k, m) = math.prod(x[:-1]), w
        flops, moved = self.products_cost(phase, 2 * n * k * m, ins, outs)
        return flops + 2 * n * m, moved

    def forward(self, x, W, b):
        self.y = self.kernels.dense_forward(x, W, b, self.activation, self.slope)
        return self.y

    def backward_kernel(self, gy):
        x, W, _ = (self.inputs[i].data for i in range(3))
        return self.kernels.dense_backward(x, W, self.y, gy, self.activation, self.slope, self.needs_grad,
                                           into=self.grad_into)

    def release(self):
        super().release()
        self.y = None


def dense(x, W, b=None, activation="identity", slope=0.01):
    """act(x @ W + b) for x of shape (..., in), W (in, out), b (out,)."""
    check_activation(activation, "dense")
    if W.ndim != 2 or x.ndim < 1 or x.shape[-1] != W.shape[0] or (b is not None and b.shape != W.shape[1:]):
        raise ValueError(f"dense: shapes x {x.shape}, W {W.shape}, b {None if b is None else b.shape} "
                         "do not fit x @ W + b")
    if activation not in FUSED:   # the kernel's product, then the activation as its own op
        return activate(dense(x, W, b), activation, slope)
    if b is None:
        b = x.data.dtype.type(0) * W.data[0]  # a zero bias, as a constant
    if x.ndim == 2:
        return Dense(activation, slope)(x, W, b)
    y = Dense(activation, slope)(reshape(x, (-1, x.shape[-1])), W, b)   # the kernel takes rows
    return reshape(y, x.shape[:-1] + W.shape[1:])
