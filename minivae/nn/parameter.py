from ..ops import Tensor


class Parameter(Tensor):
    """A tensor that a Module owns and an optimizer updates: a leaf that requires grad."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)
