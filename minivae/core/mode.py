"""Whether ops record the graph. Off inside ``no_grad()`` and during a backward pass
that does not build a graph of its own (``create_graph=False``)."""
import contextlib

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


@contextlib.contextmanager
def set_grad_enabled(mode):
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(mode)
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad():
    """Context manager: ops inside it record nothing and their results need no grad."""
    return set_grad_enabled(False)


def enable_grad():
    return set_grad_enabled(True)
