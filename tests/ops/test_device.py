import numpy as np
import pytest

import minivae as mv

cuda = pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")


@pytest.mark.cuda
@cuda
def test_to_cuda_and_back_is_differentiable():
    x = mv.tensor([1.0, 2.0], requires_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda" and type(on_gpu.data).__module__.startswith("cupy")
    y = (on_gpu * 3.0).to("cpu")
    y.sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@pytest.mark.cuda
@cuda
def test_mixing_devices_is_an_error():
    with pytest.raises(ValueError, match="add: tensors on different devices"):
        mv.tensor([1.0]) + mv.tensor([1.0]).to("cuda")


@pytest.mark.cuda
@cuda
def test_ops_on_cuda_match_cpu():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    import minivae.functional as F
    for device in ("cpu", "cuda"):
        x = mv.tensor(a, requires_grad=True, device=device)
        w = mv.tensor(b, requires_grad=True, device=device)
        F.logsumexp(F.tanh(x @ w), 1).sum().backward()
        if device == "cpu":
            ref = (x.grad.numpy(), w.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), ref[0], rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), ref[1], rtol=1e-5)


def test_to_asks_the_backend_for_the_target_device(monkeypatch):
    """Without a GPU: with the backend stubbed, .to("cuda") must move the array to "cuda".
    Function.__call__ sets ``self.device`` to the input's device, which once overwrote
    ToDevice's target, so .to("cuda") returned a CPU tensor."""
    from minivae import backend
    asked = []
    monkeypatch.setattr(backend, "array_module", lambda device: np)
    monkeypatch.setattr(backend, "to_device", lambda array, device: asked.append(device) or array)
    x = mv.tensor([1.0, 2.0], requires_grad=True)
    x.to("cuda")
    assert asked == ["cuda"]
