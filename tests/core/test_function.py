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
