import pickle

import numpy as np
import pytest

import minivae as mv


def test_tensor_dtypes():
    assert mv.tensor([1, 2]).dtype == np.float32                 # Python numbers: float32
    assert mv.tensor(np.arange(3)).dtype == np.int64              # arrays keep their dtype
    assert mv.tensor(np.ones(2, np.float64)).dtype == np.float64
    assert mv.tensor(1.0, dtype=np.float64).dtype == np.float64


def test_tensor_copies_its_data():
    a = np.ones(3, np.float32)
    t = mv.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


def test_tensor_rejects_non_numeric():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mv.tensor(["a", "b"])
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mv.tensor(np.array([object()]))


def test_methods_match_functional():
    x = mv.tensor(np.arange(6.0).reshape(2, 3) + 1, dtype=np.float64)
    np.testing.assert_allclose(x.sum(1).numpy(), [6, 15])
    np.testing.assert_allclose(x.mean().item(), 3.5)
    np.testing.assert_allclose(x.log().exp().numpy(), x.numpy())
    np.testing.assert_allclose(x.reshape(3, 2).numpy(), x.numpy().reshape(3, 2))
    np.testing.assert_allclose(x.reshape((6,)).numpy(), x.numpy().ravel())
    np.testing.assert_allclose(x.transpose(1, 0).numpy(), x.numpy().T)
    np.testing.assert_allclose(x.T.numpy(), x.numpy().T)
    np.testing.assert_allclose(x.max(1).numpy(), [3, 6])
    np.testing.assert_allclose(x.logsumexp(1).numpy(), np.log(np.exp(x.numpy()).sum(1)))


def test_pickle_keeps_values_not_graph():
    x = mv.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x * 2.0))
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    assert y.creator is None


def test_to_cpu_and_unknown_device():
    x = mv.tensor([1.0])
    assert x.to("cpu") is x
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        x.to("tpu")
    if not mv.cuda_available():
        with pytest.raises(ValueError, match="needs CuPy and a GPU"):
            x.to("cuda")
