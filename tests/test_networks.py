"""Encoder/decoder builders: the published architectures and their shapes."""

import numpy as np
import pytest

from keras_bvae.networks import build_decoder, build_encoder, burgess_depth


def test_burgess_matches_the_published_architecture():
    encoder = build_encoder("burgess", (64, 64, 1), 10)
    convs = [layer for layer in encoder.layers if "conv" in layer.name]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (32, (4, 4), (2, 2))
    ] * 4
    dense = [layer.units for layer in encoder.layers if "dense" in layer.name]
    assert dense == [256, 256]
    assert encoder.output_shape == (None, 20)
    decoder = build_decoder("burgess", (64, 64, 1), 10)
    assert decoder.output_shape == (None, 64, 64, 1)


def test_higgins_matches_the_published_architecture():
    encoder = build_encoder("higgins", (64, 64, 1), 10)
    hidden = [
        (layer.units, layer.activation.__name__)
        for layer in encoder.layers
        if layer.name.startswith("dense")
    ]
    assert hidden == [(1200, "relu"), (1200, "relu")]
    decoder = build_decoder("higgins", (64, 64, 1), 10)
    hidden = [
        (layer.units, layer.activation.__name__)
        for layer in decoder.layers
        if layer.name.startswith("dense") and layer.name != "dense_out"
    ]
    assert hidden == [(1200, "tanh")] * 3
    out = decoder(np.zeros((2, 10), np.float32))
    assert tuple(out.shape) == (2, 64, 64, 1)


def test_unknown_architecture_lists_the_choices():
    with pytest.raises(ValueError, match=r"'vgg'.*\['burgess', 'higgins'\]"):
        build_encoder("vgg", (64, 64, 1), 10)


def test_burgess_64_keeps_its_published_layers_and_weights():
    # The counts of the network before it adapted to other sizes; saved
    # models (saved_models/) load only if they are unchanged.
    for channels, enc_params, dec_params in (
        (1, 252052, 249953),
        (3, 253076, 250979),
    ):
        encoder = build_encoder("burgess", (64, 64, channels), 10)
        decoder = build_decoder("burgess", (64, 64, channels), 10)
        assert encoder.count_params() == enc_params
        assert decoder.count_params() == dec_params
    assert [layer.name for layer in encoder.layers] == [
        "images",
        "conv1",
        "conv2",
        "conv3",
        "conv4",
        "flatten",
        "dense1",
        "dense2",
        "posterior_params",
    ]
    assert [layer.name for layer in decoder.layers] == [
        "latents",
        "dense1",
        "dense2",
        "dense3",
        "reshape",
        "deconv1",
        "deconv2",
        "deconv3",
        "logits",
    ]
    assert tuple(decoder.get_layer("dense3").kernel.shape) == (256, 512)


@pytest.mark.parametrize("size, depth", [(16, 2), (32, 3), (64, 4), (128, 5)])
@pytest.mark.parametrize("channels", [1, 3])
def test_burgess_depth_follows_the_image_size(size, depth, channels):
    assert burgess_depth((size, size, channels)) == depth
    encoder = build_encoder("burgess", (size, size, channels), 4)
    convs = [layer for layer in encoder.layers if "conv" in layer.name]
    assert len(convs) == depth
    assert tuple(convs[-1].output.shape) == (None, 4, 4, 32)
    decoder = build_decoder("burgess", (size, size, channels), 4)
    deconvs = [layer for layer in decoder.layers if "conv" in layer.name]
    assert len(deconvs) == depth - 1
    codes = encoder(np.zeros((2, size, size, channels), np.float32))
    assert tuple(codes.shape) == (2, 8)
    logits = decoder(np.zeros((2, 4), np.float32))
    assert tuple(logits.shape) == (2, size, size, channels)
    # Dense layers are the same at every size: 4x4x32 features.
    assert tuple(encoder.get_layer("dense1").kernel.shape) == (512, 256)


@pytest.mark.parametrize(
    "shape", [(60, 60, 1), (48, 48, 1), (64, 32, 1), (8, 8, 1), (512, 512, 3)]
)
def test_burgess_refuses_other_sizes_naming_them(shape):
    message = rf"one of 16, 32, 64, 128, 256 .*got input_shape={shape}"
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        build_encoder("burgess", shape, 10)
    with pytest.raises(ValueError, match="4 times a power of two"):
        build_decoder("burgess", shape, 10)


def test_higgins_takes_any_size_and_colour():
    decoder = build_decoder("higgins", (24, 40, 3), 5)
    assert decoder.output_shape == (None, 24, 40, 3)
