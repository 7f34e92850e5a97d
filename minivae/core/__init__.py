"""The autodiff core: graph values, the op contract, broadcasting, and the backward pass."""
from .broadcast import broadcast_to, sum_to
from .cast import astype
from .engine import backward, grad
from .function import Function
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .node import Node
