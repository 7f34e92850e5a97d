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
