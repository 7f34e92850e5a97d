"""The hook a profile reads (``minivae.profiler`` turns it on): while a ``Trace`` is
``active``, every op's forward and backward pass, every optimizer update and every draw of
Philox noise is a span here, with its name, phase, implementation and cost.

Only the outermost span is timed: the ops that a backward pass or a fused op's reference
runs inside it are part of its time, so the spans never overlap and their times add up.
A span's end is marked before it is described, so describing costs the step's time, not
the op's. With no trace on, a span costs one look-up of ``active``.

On the CPU a mark is ``time.perf_counter()``; on CUDA a recorded event, so that a span's
time is the device's, read once at the end (``seconds``)."""
import contextlib
import time

from . import backend

active = None   # the Trace being recorded, or None


class Trace:
    def __init__(self):
        self.records = []          # (describe, start mark, end mark), outermost spans only
        self.depth = 0
        self.phase = "forward"     # "engine" while the backward walk runs ops of its own

    def open(self, device):
        self.depth += 1
        return self.depth, device, mark(device)

    def close(self, opened):
        """End the span ``open`` returned: its (start, end) marks if it is outermost, to be
        ``record``ed, else None (its time is its parent's)."""
        depth, device, start = opened
        end = mark(device)
        self.depth = depth - 1
        return (start, end) if depth == 1 else None

    def record(self, marks, describe):
        """Keep a closed span; ``describe()``, called when the spans are read, gives its
        (name, phase, implementation, shapes, flops, bytes). Described after its end mark, so
        that describing is not billed to the op."""
        self.records.append((describe, *marks))

    def spans(self):
        """Each outermost span as (name, phase, implementation, shapes, flops, bytes, seconds)."""
        return [(*describe(), seconds(start, end)) for describe, start, end in self.records]


@contextlib.contextmanager
def phase(name):
    """Spans opened inside are of phase ``name`` (when a trace is active)."""
    profile = active
    if profile is None:
        yield
        return
    before, profile.phase = profile.phase, name
    try:
        yield
    finally:
        profile.phase = before


def mark(device):
    if device == "cuda":
        event = backend.array_module("cuda").cuda.Event()
        event.record()
        return event
    return time.perf_counter()


def seconds(start, end):
    if isinstance(start, float):
        return end - start
    end.synchronize()
    return backend.array_module("cuda").cuda.get_elapsed_time(start, end) / 1e3
