"""Convolutional encoders and decoders for images stored flat, (n, C H W), as the datasets
and the trainer keep them.

    ConvEncoder   x -> C x H x W -> [conv 4x4, stride 2, pad 1 -> act] per channel count
                    -> Linear on the flattened features (ImageLinear) -> out
    ConvDecoder   z -> Linear -> act -> the encoder's last feature map (LinearToImage)
                    -> [upsample x2, conv 3x3 (ResizeConv2d)] per channel count, mirrored
                    -> flatten

Each stride-2 convolution halves the height and width (rounding up); the decoder retraces
the same sizes, so 28 x 28 goes 14 x 14, 7 x 7 and back. It doubles them by resizing and
then convolving (``upsample="resize"``, Odena et al. 2016): a transposed convolution of
stride 2 (``upsample="transposed"``, kernel 4, ``output_padding`` where the halving
rounded) gives its even and odd output pixels different sums of weights, so even a
constant input comes out as a checkerboard, which a VAE/GAN's discriminator then learns to
spot and its decoder to paint.

``batchnorm=True`` puts batch normalization between each convolution and its activation
(DCGAN's and Larsen et al.'s networks), except on the first convolution of the encoder or
discriminator and the decoder's output.

Between the images and the dense layers the features are flattened in (c, h, w) order, as
Flatten does, and the weights are stored in that order. Where the convolutions keep images
channels-last (the CPU kernels), the dense layers read and write the (h, w, c) order and
permute their weights to match instead: the same products without copying the batch's
feature maps (measured on the conv-vae step, batch 128: five 1.6 MB copies per step, about
2 ms of 30, against permuting two 100k-entry weights).
"""
import math

from .. import ops
from .activation import Activation
from .batchnorm import BatchNorm2d
from .container import Sequential
from .conv import Conv2d, ConvTranspose2d, ResizeConv2d
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
    ops.check_activation(activation, "ConvNet")


def _with(activation, layer, norm=None):
    """``layer(act)``; with ``norm`` (a channel count) batch norm between the layer and its
    activation."""
    if norm:
        return [layer("identity"), BatchNorm2d(norm)] + ([] if activation == "identity" else [Activation(activation)])
    return [layer(activation)]


UPSAMPLING = ("resize", "transposed")


def ConvFeatures(image_shape, channels, activation="relu", generator=None, batchnorm=False, last_activation=True):
    """The convolutions alone, flattened: (n, C H W) -> (n, channels[-1] h w). A GAN's
    discriminator layer D_l (``last_activation=False``: the last convolution's output as it
    is, before its batch norm and activation), or an encoder without its last Linear layer."""
    image_shape, channels = tuple(image_shape), list(channels)
    _check(image_shape, channels, activation)
    layers = [Unflatten(1, image_shape)]
    for i, (c_in, c_out) in enumerate(zip([image_shape[0]] + channels[:-1], channels)):
        last = i == len(channels) - 1 and not last_activation
        layers += _with("identity" if last else activation,
                        lambda act: Conv2d(c_in, c_out, KERNEL, STRIDE, PADDING, activation=act, generator=generator),
                        batchnorm and i > 0 and not last and c_out)
    return Sequential(*layers, Flatten())


def features_size(image_shape, channels):
    """The width of ConvFeatures' output."""
    return channels[-1] * math.prod(feature_sizes(image_shape, len(channels))[-1])


class ImageLinear(Linear):
    """Linear on images (N, C, H, W) flattened in (c, h, w) order, W's rows in that order."""

    def __init__(self, image_shape, out_features, **kwargs):
        super().__init__(math.prod(image_shape), out_features, **kwargs)
        self.image_shape = tuple(image_shape)

    def forward(self, x):
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"ImageLinear: expected images {self.image_shape}, got {tuple(x.shape[1:])}")
        n, (c, h, w) = x.shape[0], self.image_shape
        if not _channels_last_memory(x.data):
            return super().forward(x.reshape(n, c * h * w))
        weight = self.weight.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)   # rows (h, w, c)
        return ops.dense(x.transpose(0, 2, 3, 1).reshape(n, h * w * c), weight, self.bias, self.activation,
                         self.slope)


class LinearToImage(Linear):
    """Linear whose outputs are images (N, C, H, W) in (c, h, w) order, W's columns in that
    order: Linear and Unflatten in one, laid out as the next convolutions keep images."""

    def __init__(self, in_features, image_shape, **kwargs):
        super().__init__(in_features, math.prod(image_shape), **kwargs)
        self.image_shape = tuple(image_shape)

    def forward(self, z):
        n, (c, h, w) = z.shape[0], self.image_shape
        if not ops.channels_last(z.device):
            return super().forward(z).reshape(n, c, h, w)
        weight = self.weight.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(-1, h * w * c)   # columns (h, w, c)
        bias = None if self.bias is None else self.bias.reshape(c, h, w).transpose(1, 2, 0).reshape(h * w * c)
        y = ops.dense(z, weight, bias, self.activation, self.slope)
        return y.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _channels_last_memory(a):
    """Whether an (N, C, H, W) array's memory is (N, H, W, C) and not also NCHW."""
    return a.shape[1] > 1 and not a.flags.c_contiguous and a.transpose(0, 2, 3, 1).flags.c_contiguous


def ConvEncoder(image_shape, channels, out_features, activation="relu", generator=None, batchnorm=False):
    image_shape, channels = tuple(image_shape), list(channels)
    features = list(ConvFeatures(image_shape, channels, activation, generator, batchnorm))[:-1]   # all but Flatten
    last = (channels[-1],) + feature_sizes(image_shape, len(channels))[-1]
    return Sequential(*features, ImageLinear(last, out_features, generator=generator))


def ConvDecoder(in_features, image_shape, channels, activation="relu", generator=None, upsample="resize",
                batchnorm=False):
    """``channels`` as given to the encoder; the decoder runs them in reverse. Returns the
    image's logits or means, flat."""
    image_shape, channels = tuple(image_shape), list(channels)
    _check(image_shape, channels, activation)
    if upsample not in UPSAMPLING:
        raise ValueError(f"upsample must be one of {', '.join(UPSAMPLING)}, got {upsample!r}")
    sizes = feature_sizes(image_shape, len(channels))
    first = (channels[-1],) + sizes[-1]
    layers = [LinearToImage(in_features, first, activation="identity" if batchnorm else activation,
                            generator=generator)]
    layers += [BatchNorm2d(channels[-1]), Activation(activation)] if batchnorm else []
    outs = list(reversed([image_shape[0]] + channels[:-1]))
    for i, (c_in, c_out) in enumerate(zip(reversed(channels), outs)):
        small, large = sizes[-1 - i], sizes[-2 - i]
        extra = tuple(b - ((a - 1) * STRIDE - 2 * PADDING + KERNEL) for a, b in zip(small, large))
        last = i == len(channels) - 1
        if upsample == "resize":
            up = lambda act: ResizeConv2d(c_in, c_out, extra, activation=act, generator=generator)
        else:
            up = lambda act: ConvTranspose2d(c_in, c_out, KERNEL, STRIDE, PADDING, output_padding=extra,
                                             activation=act, generator=generator)
        layers += _with("identity" if last else activation, up, batchnorm and not last and c_out)
    layers.append(Flatten())
    return Sequential(*layers)
