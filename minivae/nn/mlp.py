from .. import ops
from .activation import Activation
from .batchnorm import BatchNorm1d
from .container import Sequential
from .dropout import Dropout
from .linear import Linear


def MLP(sizes, activation="relu", out_activation=None, dropout=0.0, batchnorm=False,
        init=None, generator=None):
    """A stack of Linear layers: ``MLP([784, 400, 20])`` is 784 -> 400 -> act -> 20.

    Hidden layers get ``activation`` (and optionally batch norm and dropout); the last gets
    ``out_activation`` (none by default). ``init`` defaults to He for ReLU, else Glorot.
    Without batch norm the activation is the Linear layer's (fused into its kernel).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"MLP: sizes must be at least two positive integers, got {sizes}")
    for name in (activation, out_activation):
        if name is not None:
            ops.check_activation(name, "MLP")
    init = init or ("he" if activation in ("relu", "leaky_relu") else "glorot")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        act = (out_activation or "identity") if last else activation
        norm = batchnorm and not last
        layers.append(Linear(n_in, n_out, init="glorot" if last else init, generator=generator,
                             activation="identity" if norm else act))
        if norm:   # batch norm comes between the product and the activation
            layers += [BatchNorm1d(n_out), Activation(act)]
        if dropout and not last:
            layers.append(Dropout(dropout))
    return Sequential(*layers)
