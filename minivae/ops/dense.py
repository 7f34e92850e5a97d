"""The dense layer y = act(x @ W + b) as one op, so that its kernel can fuse the bias and
the activation into one pass after the GEMM (kernels/cpu/dense.py)."""
from .. import kernels
from .activation import leaky_relu, relu, sigmoid, tanh
from .fused import Fused
from .matmul import matmul
from .shape import reshape

ACTIVATIONS = {"identity": lambda a, slope: a, "relu": lambda a, slope: relu(a),
               "tanh": lambda a, slope: tanh(a), "sigmoid": lambda a, slope: sigmoid(a),
               "leaky_relu": leaky_relu}


class Dense(Fused):
    def __init__(self, activation, slope):
        self.activation, self.slope = activation, slope

    def reference(self, x, W, b):
        return ACTIVATIONS[self.activation](matmul(x, W) + b, self.slope)

    def forward(self, x, W, b):
        self.y = kernels.lookup("dense_forward", self.device)(x, W, b, self.activation, self.slope)
        return self.y

    def backward_kernel(self, gy):
        x, W, _ = (self.inputs[i].data for i in range(3))
        return kernels.lookup("dense_backward", self.device)(
            x, W, self.y, gy, self.activation, self.slope, self.needs_grad)

    def release(self):
        super().release()
        self.y = None


def dense(x, W, b=None, activation="identity", slope=0.01):
    """act(x @ W + b) for x of shape (..., in), W (in, out), b (out,)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"dense: unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    if W.ndim != 2 or x.ndim < 1 or x.shape[-1] != W.shape[0] or (b is not None and b.shape != W.shape[1:]):
        raise ValueError(f"dense: shapes x {x.shape}, W {W.shape}, b {None if b is None else b.shape} "
                         "do not fit x @ W + b")
    if b is None:
        b = x.data.dtype.type(0) * W.data[0]  # a zero bias, as a constant
    # The kernels' backward reads act'(v) off the output y: for leaky_relu, v > 0 iff y > 0,
    # which fails for a negative slope (then y > 0 on both sides), so that takes the reference.
    negative_slope = activation == "leaky_relu" and slope < 0
    if kernels.lookup("dense_forward", x.device) is None or x.dtype != W.dtype or negative_slope:
        return Dense(activation, slope).reference(x, W, b)
    if x.ndim == 2:
        return Dense(activation, slope)(x, W, b)
    y = Dense(activation, slope)(reshape(x, (-1, x.shape[-1])), W, b)
    return reshape(y, x.shape[:-1] + W.shape[1:])
