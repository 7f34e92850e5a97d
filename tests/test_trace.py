"""The profile's hook: spans of ops, their phases, and the outermost-only rule."""
import time

import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae import trace


@pytest.fixture
def recording():
    t = trace.Trace()
    trace.active = t
    yield t
    trace.active = None


def _names(t):
    return [(name, phase) for name, phase, *_ in t.spans()]


def test_forward_backward_and_engine_spans_in_order(recording):
    x = mv.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    b = mv.tensor(np.ones(4, np.float32), requires_grad=True)
    (x * b).sum().backward()
    # the broadcast b's gradient is reduced to its shape by the walk itself: an engine span
    assert _names(recording) == [("mul", "forward"), ("sum", "forward"), ("sum", "backward"),
                                 ("mul", "backward"), ("sum_to", "engine")]
    assert recording.phase == "forward" and recording.depth == 0


def test_only_the_outermost_span_is_recorded(recording):
    """A backward written with ops (mul's) and a differentiable fused backward (create_graph)
    run ops inside their span: those are part of its time, not spans of their own."""
    x = mv.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    W = mv.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    y = F.dense(x, W, activation="tanh").sum()
    (g,) = mv.grad(y, [W], create_graph=True)
    spans = _names(recording)
    assert spans.count(("dense", "backward")) == 1 and ("dense", "forward") in spans
    assert not any(name in ("matmul", "tanh") for name, _ in spans)   # the reference ran inside dense's backward
    wall = recording.spans()
    assert all(s[-1] >= 0 for s in wall)


def test_spans_do_not_overlap_and_leave_time_between_ops_out():
    x = mv.tensor(np.ones((200, 200), np.float32), requires_grad=True)
    with mv.profile(peaks={"flops": 1e9, "bandwidth": 1e9, "cache_bandwidth": 1e9, "what": "test"}) as p:
        y = x * 2.0
        time.sleep(0.05)   # not an op: it must not be billed to one
        y.sum().backward()
    assert p.total() <= p.seconds - 0.05


def test_a_failing_op_leaves_the_trace_usable(recording):
    a, b = mv.tensor(np.ones((2, 3), np.float32)), mv.tensor(np.ones((4, 5), np.float32))
    with pytest.raises(ValueError):
        F.matmul(a, b)
    assert recording.depth == 0
    (a * 2.0).sum()
    assert _names(recording)[-2:] == [("mul", "forward"), ("sum", "forward")]


def test_a_span_costs_nothing_to_record_when_no_trace_is_active():
    assert trace.active is None
    x = mv.tensor(np.ones(3, np.float32), requires_grad=True)
    (x * x).sum().backward()
    assert trace.active is None


def test_phase_is_restored_after_an_error(recording):
    with pytest.raises(KeyError):
        with trace.phase("engine"):
            raise KeyError
    assert recording.phase == "forward"
