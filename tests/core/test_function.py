import numpy as np
import pytest

import minivae as mv
import minivae.functional as F


def test_python_and_numpy_constants_take_the_tensor_dtype():
    x = mv.tensor([1.0, 2.0])                    # float32
    assert (x + np.array([1.0, 2.0])).dtype == np.float32
    assert (x * True).dtype == np.float32


def test_needs_a_tensor_argument():
    with pytest.raises(TypeError, match="exp: expected at least one Tensor"):
        F.exp(np.ones(3))


def test_rejects_strange_objects():
    with pytest.raises(TypeError, match="add: cannot use a dict"):
        mv.tensor([1.0]) + {}


def test_int_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        mv.tensor(np.arange(3), requires_grad=True)


def test_mixing_devices_names_the_op(monkeypatch):
    """Checked without a GPU: an ndarray subclass plays the part of a CUDA array."""
    from minivae import backend

    class OnGpu(np.ndarray):
        pass

    monkeypatch.setattr(backend, "device_of", lambda a: "cuda" if isinstance(a, OnGpu) else "cpu")
    gpu = mv.Tensor(np.ones(2).view(OnGpu))
    with pytest.raises(ValueError, match=r"mul: tensors on different devices \['cpu', 'cuda'\]"):
        mv.tensor([1.0, 2.0]) * gpu


@pytest.mark.parametrize("op", [F.exp, F.tanh, F.sigmoid, F.sqrt, lambda x: F.softmax(x, -1)])
def test_a_forward_pass_never_differentiated_is_freed_at_once(op):
    """Ops that keep their output for backward (exp, tanh, sigmoid, sqrt, softmax) must
    not form a cycle with it: with the cyclic collector off, dropping each result frees
    it. 40 calls on 2 MB inputs peaked at 80+ MB when each kept its output Tensor."""
    import gc
    import tracemalloc
    x = mv.tensor(np.random.default_rng(0).uniform(0.5, 1.0, (512, 1024)).astype(np.float32),
                  requires_grad=True)   # 2 MB
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(40):
            y = op(x)
            del y
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.0f} MB"   # an op's temporaries, not 40 outputs


def test_backward_after_an_in_place_change_of_a_saved_input_raises():
    """An optimizer step between two backward passes of one graph changes the weights the
    graph saved; the second pass must not silently use the new ones (PyTorch raises)."""
    w = mv.nn.Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x = mv.tensor(np.ones((1, 2)), dtype=np.float64)
    loss = F.tanh(x @ w).sum()
    opt = mv.optim.SGD([w], lr=0.1)
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="matmul: its saved input 1 was modified in place"):
        loss.backward()


def test_an_untouched_graph_can_be_differentiated_twice():
    w = mv.nn.Parameter(np.array([1.0, 2.0]))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 8.0])
