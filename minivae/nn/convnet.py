"""Convolutional encoders and decoders for images stored flat, (n, C H W), as the datasets
and the trainer keep them.

    ConvEncoder   x -> C x H x W -> [conv 4x4, stride 2, pad 1 -> act] per channel count
                    -> flatten -> Linear -> out
    ConvDecoder   z -> Linear -> act -> the encoder's last feature map
                    -> [transposed conv 4x4, stride 2] per channel count, mirrored -> flatten

Each stride-2 convolution halves the height and width (rounding up); the decoder's
transposed convolutions retrace the same sizes (``output_padding`` where the halving
rounded), so 28 x 28 goes 14 x 14, 7 x 7 and back.
"""
import math

from ..ops import dense_activations
from .activation import ACTIVATIONS
from .container import Sequential
from .conv import Conv2d, ConvTranspose2d
from .linear import Linear
from .shape import Flatten, Unflatten

KERNEL, STRIDE, PADDING = 4, 2, 1


def feature_sizes(image_shape, n_layers):
    """The (height, width) after each stride-2 convolution, starting with the image's."""
    sizes = [tuple(image_shape[1:])]
    for _ in range(n_layers):
        sizes.append(tuple((n + 2 * PADDING - KERNEL) // STRIDE + 1 for n in sizes[-1]))
    if min(sizes[-1]) < 1:
        raise ValueError(f"{n_layers} stride-2 convolutions shrink an image of {image_shape[1:]} to nothing")
    return sizes


def _check(image_shape, channels, activation):
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (channels, height, width), got {image_shape}")
    if not channels or min(channels) < 1:
        raise ValueError(f"channels must be positive channel counts, one per convolution, got {channels}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")


def _with(activation, layer):
    """``layer(act)`` with the activation fused into its kernel where it can be, else after it."""
    if activation in dense_activations:
        return [layer(activation)]
    return [layer("identity"), ACTIVATIONS[activation]()]


def ConvFeatures(image_shape, channels, activation="relu", generator=None):
    """The convolutions alone, flattened: (n, C H W) -> (n, channels[-1] h w). A GAN's
    discriminator layer D_l, or an encoder without its last Linear layer."""
    image_shape, channels = tuple(image_shape), list(channels)
    _check(image_shape, channels, activation)
    layers = [Unflatten(1, image_shape)]
    for c_in, c_out in zip([image_shape[0]] + channels[:-1], channels):
        layers += _with(activation, lambda act: Conv2d(c_in, c_out, KERNEL, STRIDE, PADDING, activation=act,
                                                       generator=generator))
    return Sequential(*layers, Flatten())


def features_size(image_shape, channels):
    """The width of ConvFeatures' output."""
    return channels[-1] * math.prod(feature_sizes(image_shape, len(channels))[-1])


def ConvEncoder(image_shape, channels, out_features, activation="relu", generator=None):
    features = ConvFeatures(image_shape, channels, activation, generator)
    return Sequential(*features, Linear(features_size(tuple(image_shape), list(channels)), out_features,
                                        generator=generator))


def ConvDecoder(in_features, image_shape, channels, activation="relu", generator=None):
    """``channels`` as given to the encoder; the decoder runs them in reverse. Returns the
    image's logits or means, flat."""
    image_shape, channels = tuple(image_shape), list(channels)
    _check(image_shape, channels, activation)
    sizes = feature_sizes(image_shape, len(channels))
    layers = [Linear(in_features, channels[-1] * math.prod(sizes[-1]), activation=activation, generator=generator),
              Unflatten(1, (channels[-1],) + sizes[-1])]
    outs = list(reversed([image_shape[0]] + channels[:-1]))
    for i, (c_in, c_out) in enumerate(zip(reversed(channels), outs)):
        small, large = sizes[-1 - i], sizes[-2 - i]
        extra = tuple(b - ((a - 1) * STRIDE - 2 * PADDING + KERNEL) for a, b in zip(small, large))
        last = i == len(channels) - 1
        layers += _with("identity" if last else activation,
                        lambda act: ConvTranspose2d(c_in, c_out, KERNEL, STRIDE, PADDING, output_padding=extra,
                                                    activation=act, generator=generator))
    layers.append(Flatten())
    return Sequential(*layers)
