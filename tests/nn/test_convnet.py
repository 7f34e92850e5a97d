"""nn/convnet.py: the dense layers between images and vectors read and write whichever
memory layout the convolutions keep, with the same values and gradients either way."""
import numpy as np
import pytest

import minivae as mv
from minivae.nn.convnet import ImageLinear, LinearToImage


def _grads(loss, *tensors):
    return [g.numpy() for g in mv.grad(loss, list(tensors))]


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_image_linear_is_flatten_then_linear_in_either_layout(activation):
    rng = np.random.default_rng(0)
    layer = ImageLinear((3, 4, 5), 6, activation=activation, dtype=np.float64)
    layer.bias.data[:] = rng.standard_normal(6)
    x = rng.standard_normal((2, 3, 4, 5))
    by_hand = np.maximum(x.reshape(2, -1) @ layer.weight.numpy() + layer.bias.numpy(), 0 if activation == "relu"
                         else -np.inf)
    seen = []
    for memory in (x, np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)):   # NCHW, channels-last
        xt = mv.Tensor(memory, requires_grad=True)
        y = layer(xt)
        np.testing.assert_allclose(y.numpy(), by_hand, rtol=1e-12, atol=1e-12)
        seen.append(_grads((y * y).sum(), xt, layer.weight, layer.bias))
    for a, b in zip(*seen):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"expected images \(3, 4, 5\), got \(4, 3, 5\)"):
        layer(mv.tensor(np.zeros((2, 4, 3, 5))))


def test_linear_to_image_is_linear_then_unflatten_in_either_layout():
    rng = np.random.default_rng(1)
    layer = LinearToImage(5, (3, 4, 2), activation="relu", dtype=np.float64)
    layer.bias.data[:] = rng.standard_normal(24)
    z = rng.standard_normal((3, 5))
    by_hand = np.maximum(z @ layer.weight.numpy() + layer.bias.numpy(), 0).reshape(3, 3, 4, 2)
    weights = mv.tensor(rng.standard_normal((3, 3, 4, 2)))   # a loss that tells the positions apart
    seen = []
    for mode in ("fast", "reference"):
        mv.set_kernels(mode)
        try:
            zt = mv.Tensor(z, requires_grad=True)
            y = layer(zt)
            channels_last = y.data.transpose(0, 2, 3, 1).flags.c_contiguous
            assert channels_last == (mode == "fast") and y.shape == (3, 3, 4, 2)
            np.testing.assert_allclose(y.numpy(), by_hand, rtol=1e-12, atol=1e-12)
            seen.append(_grads((y * weights).sum(), zt, layer.weight, layer.bias))
        finally:
            mv.set_kernels("fast")
    for a, b in zip(*seen):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("upsample", ["resize", "transposed"])
@pytest.mark.parametrize("image", [(1, 28, 28), (2, 13, 11)])
def test_the_decoder_retraces_the_encoders_sizes(upsample, image):
    from minivae.nn.convnet import ConvDecoder, ConvEncoder
    g = mv.backend.Generator(0)
    x = mv.tensor(np.random.default_rng(0).random((3, int(np.prod(image))), np.float32))
    code = ConvEncoder(image, [4, 6], 5, generator=g)(x)
    assert code.shape == (3, 5)
    assert ConvDecoder(5, image, [4, 6], generator=g, upsample=upsample)(code).shape == x.shape


def test_batch_norm_sits_between_each_convolution_and_its_activation_but_the_ends():
    """DCGAN's placement: not after the discriminator's (encoder's) first convolution, nor
    after the decoder's output layer."""
    from minivae import nn
    from minivae.nn.convnet import ConvDecoder, ConvFeatures
    kinds = lambda net: [m.name if isinstance(m, nn.Activation) else type(m).__name__ for m in net]
    assert kinds(ConvFeatures((1, 28, 28), [4, 6, 8], batchnorm=True)) == [
        "Unflatten", "Conv2d", "Conv2d", "BatchNorm2d", "relu", "Conv2d", "BatchNorm2d", "relu", "Flatten"]
    assert kinds(ConvDecoder(3, (1, 28, 28), [4, 6], batchnorm=True)) == [
        "LinearToImage", "BatchNorm2d", "relu", "ResizeConv2d", "BatchNorm2d", "relu", "ResizeConv2d", "Flatten"]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in ConvDecoder(3, (1, 28, 28), [4, 6]))
    with pytest.raises(ValueError, match="upsample must be one of resize, transposed"):
        ConvDecoder(3, (1, 28, 28), [4, 6], upsample="bilinear")


@pytest.mark.parametrize("batchnorm", [False, True])
def test_the_decoder_takes_every_activation_the_encoder_does(batchnorm):
    """Softplus has no fused kernel: each layer applies it after its product (ops.dense), the
    first (LinearToImage) too, which once refused it (issue 24, N4); with batch norm it
    follows the norm as its own module."""
    from minivae import nn
    from minivae.nn.convnet import ConvDecoder
    decoder = ConvDecoder(5, (1, 12, 12), [3, 4], activation="softplus", generator=mv.backend.Generator(0),
                          batchnorm=batchnorm)
    kinds = [m.name if isinstance(m, nn.Activation) else type(m).__name__ for m in decoder]
    after = ["BatchNorm2d", "softplus"] if batchnorm else []
    assert kinds == ["LinearToImage", *after, "ResizeConv2d", *after, "ResizeConv2d", "Flatten"]
    assert decoder[0].activation == ("identity" if batchnorm else "softplus")
    z = mv.tensor(np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32))
    decoder.eval()
    first = decoder[0]
    out = first(z)
    plain = mv.ops.dense(z, first.weight, first.bias).reshape(out.shape)
    expected = plain if batchnorm else mv.ops.softplus(plain)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    assert decoder(z).shape == (2, 144)
