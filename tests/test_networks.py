"""Encoder/decoder builders: the published architectures and their shapes."""

import numpy as np
import pytest

from keras_bvae.networks import build_decoder, build_encoder


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
