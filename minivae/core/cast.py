"""``astype``: a change of dtype whose gradient is cast back. The engine casts every
gradient to its input's dtype with it, so a float32 leaf gets a float32 ``.grad`` even
when it met a float64 tensor (as in PyTorch)."""
from .function import Function


class AsType(Function):
    any_dtype = True
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return astype(gy, self.x_dtype)


def astype(x, dtype):
    if x.dtype == dtype:
        return x
    return AsType(dtype)(x)
