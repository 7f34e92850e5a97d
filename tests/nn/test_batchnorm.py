import numpy as np
import pytest

import minivae as mv
from minivae import nn
from minivae.testing import gradcheck


def test_batchnorm_normalizes_and_tracks_running_stats():
    bn = nn.BatchNorm1d(3, momentum=0.5)
    x = np.random.default_rng(0).normal(2.0, 3.0, (64, 3)).astype(np.float32)
    y = bn(mv.tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-3)
    np.testing.assert_allclose(bn.running_mean, 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-5)
    bn.eval()
    expected = (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    np.testing.assert_allclose(bn(mv.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_gradient():
    bn = nn.BatchNorm1d(2)
    x = np.random.default_rng(1).standard_normal((5, 2))
    assert gradcheck(lambda t: bn(t) * mv.tensor([[1.0, -2.0]], dtype=np.float64) ** 3, x)


def test_batchnorm_shape_error():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected shape \(batch, 3\) or \(batch, 3, length\), got \(4, 2\)"):
        nn.BatchNorm1d(3)(mv.tensor(np.ones((4, 2))))


def test_batchnorm2d_normalizes_each_channel_over_batch_and_pixels():
    bn = nn.BatchNorm2d(3, momentum=1.0)
    x = np.random.default_rng(2).normal(1.0, 2.0, (4, 3, 5, 6))
    bn.weight.data[:] = [1.0, 2.0, 3.0]
    y = bn(mv.tensor(x)).numpy()
    mean, var = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + bn.eps) * np.array([1.0, 2.0, 3.0])[None, :, None, None],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var, x.var((0, 2, 3), ddof=1), rtol=1e-5)
    bn.eval()
    np.testing.assert_allclose(bn(mv.tensor(x)).numpy(), (x - mean) / np.sqrt(bn.running_var[None, :, None, None] + bn.eps)
                               * np.array([1.0, 2.0, 3.0])[None, :, None, None], rtol=1e-5, atol=1e-6)
    bn.train()
    assert gradcheck(lambda t: bn(t) ** 3, np.random.default_rng(3).standard_normal((2, 3, 2, 2)))
    with pytest.raises(ValueError, match="expected shape"):
        bn(mv.tensor(np.ones((4, 3))))


def test_running_statistics_are_updated_in_place():
    """A training step recorded as a CUDA graph writes to the arrays it was recorded with:
    rebinding the buffers would leave evaluation reading arrays no replay updates."""
    bn = nn.BatchNorm1d(3)
    mean, var = bn.running_mean, bn.running_var
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32) * 2 + 1
    bn(mv.tensor(x))
    assert bn.running_mean is mean and bn.running_var is var
    np.testing.assert_allclose(mean, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-5)
    bn.load_state_dict({**bn.state_dict(), "running_mean": np.full(3, 7.0, np.float32)})
    assert bn.running_mean is mean and (mean == 7).all()


def test_momentum_none_keeps_a_plain_average_and_counts_batches():
    """PyTorch's cumulative moving average: after k batches the running mean is the mean
    of the k batch means, and num_batches_tracked is k."""
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = np.random.default_rng(3).normal(1.0, 2.0, (5, 16, 2)).astype(np.float32)
    for b in batches:
        bn(mv.tensor(b))
    assert int(bn.num_batches_tracked) == 5
    np.testing.assert_allclose(bn.running_mean, batches.mean(1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, batches.var(1, ddof=1).mean(0), rtol=1e-5)


def test_without_affine_or_running_statistics():
    x = np.random.default_rng(4).normal(3.0, 2.0, (10, 3, 4)).astype(np.float32)   # (N, C, L)
    plain = nn.BatchNorm1d(3, affine=False)
    assert [n for n, _ in plain.named_parameters()] == []
    want = (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(plain(mv.tensor(x)).numpy(), want, rtol=1e-4, atol=1e-5)
    untracked = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert list(untracked.state_dict()) == ["weight", "bias"]
    np.testing.assert_allclose(untracked(mv.tensor(x)).numpy(), want, rtol=1e-4, atol=1e-5)   # the batch's, in eval


def test_a_state_saved_before_num_batches_tracked_still_loads():
    bn = nn.BatchNorm2d(2)
    bn(mv.tensor(np.random.default_rng(5).standard_normal((4, 2, 3, 3)).astype(np.float32)))
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    fresh = nn.BatchNorm2d(2).load_state_dict(old)
    assert int(fresh.num_batches_tracked) == 0
    np.testing.assert_array_equal(fresh.running_mean, bn.running_mean)
    with pytest.raises(ValueError, match=r"missing keys \['running_var'\]"):
        nn.BatchNorm2d(2).load_state_dict({k: v for k, v in old.items() if k != "running_var"})


@pytest.mark.parametrize("momentum", [0.1, None])
def test_a_pytorch_batch_norm_and_its_state_dict(momentum):
    """Trained side by side on the same batches, a PyTorch BatchNorm2d and ours agree in
    output and state; PyTorch's state dict loads into ours unchanged."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    theirs, ours = torch.nn.BatchNorm2d(3, momentum=momentum), nn.BatchNorm2d(3, momentum=momentum)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        theirs.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for _ in range(3):
        x = rng.normal(2.0, 3.0, (4, 3, 5, 5)).astype(np.float32)
        np.testing.assert_allclose(ours(mv.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-4)
    mine = ours.state_dict()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(mine[k], v.numpy(), rtol=1e-5, err_msg=k)
    x = rng.normal(2.0, 3.0, (4, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours.eval()(mv.tensor(x)).numpy(), theirs.eval()(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-4)
