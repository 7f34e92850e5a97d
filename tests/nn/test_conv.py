import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae import nn


def test_conv_layers_compute_the_functional_ops_with_their_parameters():
    rng = np.random.default_rng(0)
    x = mv.tensor(rng.standard_normal((2, 4, 9, 9)))
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, dtype=np.float64)
    conv.bias.data[:] = rng.standard_normal(6)
    assert conv.weight.shape == (6, 2, 3, 2)
    np.testing.assert_array_equal(conv(x).numpy(), F.conv2d(x, conv.weight, conv.bias, 2, 1, 1, 2).numpy())
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dtype=np.float64)
    assert up.weight.shape == (4, 3, 3, 3)
    np.testing.assert_array_equal(up(x).numpy(), F.conv_transpose2d(x, up.weight, up.bias, 2, 1, 1, 2).numpy())


def test_a_transposed_layer_maps_the_output_size_back():
    """The DCGAN-style pair: 28 -> 14 -> 7 with stride 2, and 7 -> 14 -> 28 back."""
    down = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.Conv2d(8, 16, 4, 2, 1))
    upward = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.ConvTranspose2d(8, 1, 4, 2, 1))
    x = mv.tensor(np.zeros((3, 1, 28, 28), np.float32))
    assert down(x).shape == (3, 16, 7, 7) and upward(down(x)).shape == (3, 1, 28, 28)


def test_glorot_fans_count_the_kernel_taps():
    w = nn.Conv2d(10, 20, 5, generator=mv.backend.Generator(0)).weight.numpy()
    bound = np.sqrt(6 / (10 * 25 + 20 * 25))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_flatten_and_unflatten_are_inverse():
    x = mv.tensor(np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5))
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    np.testing.assert_array_equal(nn.Unflatten(1, (3, 4, 5))(flat).numpy(), x.numpy())
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    with pytest.raises(ValueError, match="has 60 entries, not 50"):
        nn.Unflatten(1, (2, 5, 5))(flat)


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(3, 4, 3, groups=2), lambda: nn.ConvTranspose2d(4, 3, 3, groups=2),
                                  lambda: nn.Conv2d(0, 4, 3)])
def test_channels_must_divide_into_groups(make):
    with pytest.raises(ValueError, match="divisible by groups"):
        make()


@pytest.mark.parametrize("size", [(6, 6), (5, 7)])
def test_the_resize_convolution_is_upsampling_then_a_3x3_convolution(size):
    """Computed as a transposed convolution with the kernel A W A^T, it equals resizing by
    nearest neighbours and convolving with W (padding 1), border included, and so does its
    gradient, in x and in W."""
    rng = np.random.default_rng(1)
    layer = nn.ResizeConv2d(3, 4, activation="relu", generator=mv.backend.Generator(2), dtype=np.float64)
    layer.bias.data[:] = rng.standard_normal(4)
    x = mv.Tensor(rng.standard_normal((2, 3) + size), requires_grad=True)
    reference = lambda x, w: F.relu(F.conv2d(F.upsample(x, 2), w, layer.bias, 1, 1))
    np.testing.assert_allclose(layer(x).numpy(), reference(x, layer.weight).numpy(), atol=1e-12)
    gy = mv.tensor(rng.standard_normal((2, 4, 2 * size[0], 2 * size[1])))
    got = mv.grad((layer(x) * gy).sum(), [x, layer.weight])
    want = mv.grad((reference(x, layer.weight) * gy).sum(), [x, layer.weight])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-10)


def _interior_spread(layer, channels):
    """Per output channel, max - min over the interior of the layer's output for a constant
    input: zero where every output pixel sums the same weights."""
    out = layer(mv.tensor(np.ones((1, channels, 6, 6)))).numpy()[0, :, 2:-2, 2:-2]
    return np.ptp(out.reshape(out.shape[0], -1), axis=1)


def test_resizing_draws_no_checkerboard_where_a_strided_transposed_convolution_does():
    """A constant image, random weights: the resize convolution's output is constant away
    from the border; the stride-2 transposed convolution's alternates between its even and
    odd pixels' sums of taps (Odena et al. 2016), kernel 4 divisible by the stride or not."""
    g = mv.backend.Generator(0)
    resize = nn.ResizeConv2d(5, 3, generator=g, dtype=np.float64)
    np.testing.assert_allclose(_interior_spread(resize, 5), 0, atol=1e-12)
    for kernel in (3, 4):
        transposed = nn.ConvTranspose2d(5, 3, kernel, 2, 1, generator=g, dtype=np.float64)
        assert (_interior_spread(transposed, 5) > 1e-3).all()


def test_pytorch_conv_state_dicts_load_and_agree():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 8)).astype(np.float32)
    for theirs, ours in [(torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), mv.nn.Conv2d(4, 6, 3, 2, 1, groups=2)),
                         (torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1), mv.nn.ConvTranspose2d(4, 3, 4, 2, 1))]:
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        np.testing.assert_allclose(ours(mv.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_pool_layers_are_the_functional_pools():
    x = mv.tensor(np.random.default_rng(1).standard_normal((2, 3, 7, 7)).astype(np.float32))
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1)(x).numpy(), F.max_pool2d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).numpy(), F.avg_pool2d(x, 2).numpy())
