"""Encoder and decoder builders for the beta-VAE.

Two named architectures:

- ``"burgess"``: the convolutional network of Burgess et al. (2018),
  "Understanding disentangling in beta-VAE", also used by disentanglement_lib:
  four 4x4 stride-2 convolutions of 32 filters, dense 256, 256, then
  2 * latent_dim outputs; the decoder mirrors it with transposed convolutions.
- ``"higgins"``: the MLP of Higgins et al. (2017), "beta-VAE: Learning basic
  visual concepts with a constrained variational framework": a 1200-1200 ReLU
  encoder and a 1200-1200-1200 tanh decoder.

The encoder maps images (B, H, W, C) to 2 * latent_dim parameters (mean and
unconstrained log-variance); the decoder maps latents (B, latent_dim) to
per-pixel logits (B, H, W, C). Any pair of Keras models with those shapes can
be passed to ``BetaVAE`` instead.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

__all__ = ["ARCHITECTURES", "build_encoder", "build_decoder"]


def _burgess_encoder(input_shape, latent_dim: int) -> keras.Model:
    height, width = input_shape[0], input_shape[1]
    if height % 16 or width % 16:
        raise ValueError(
            "the 'burgess' architecture needs image height and width "
            f"divisible by 16; got input_shape={tuple(input_shape)}"
        )
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    for i in range(4):
        x = layers.Conv2D(
            32,
            4,
            strides=2,
            padding="same",
            activation="relu",
            name=f"conv{i + 1}",
        )(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense1")(x)
    x = layers.Dense(256, activation="relu", name="dense2")(x)
    params = layers.Dense(2 * latent_dim, name="posterior_params")(x)
    return keras.Model(inputs, params, name="encoder")


def _burgess_decoder(input_shape, latent_dim: int) -> keras.Model:
    height, width, channels = input_shape
    inputs = keras.Input(shape=(latent_dim,), name="latents")
    x = layers.Dense(256, activation="relu", name="dense1")(inputs)
    x = layers.Dense(256, activation="relu", name="dense2")(x)
    x = layers.Dense(
        (height // 16) * (width // 16) * 32, activation="relu", name="dense3"
    )(x)
    x = layers.Reshape((height // 16, width // 16, 32), name="reshape")(x)
    for i in range(3):
        x = layers.Conv2DTranspose(
            32,
            4,
            strides=2,
            padding="same",
            activation="relu",
            name=f"deconv{i + 1}",
        )(x)
    logits = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", name="logits"
    )(x)
    return keras.Model(inputs, logits, name="decoder")


def _higgins_encoder(input_shape, latent_dim: int) -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.Dense(1200, activation="relu", name="dense1")(x)
    x = layers.Dense(1200, activation="relu", name="dense2")(x)
    params = layers.Dense(2 * latent_dim, name="posterior_params")(x)
    return keras.Model(inputs, params, name="encoder")


def _higgins_decoder(input_shape, latent_dim: int) -> keras.Model:
    size = 1
    for dim in input_shape:
        size *= dim
    inputs = keras.Input(shape=(latent_dim,), name="latents")
    x = inputs
    for i in range(3):
        x = layers.Dense(1200, activation="tanh", name=f"dense{i + 1}")(x)
    x = layers.Dense(size, name="dense_out")(x)
    logits = layers.Reshape(tuple(input_shape), name="logits")(x)
    return keras.Model(inputs, logits, name="decoder")


ARCHITECTURES: dict[str, tuple[Callable, Callable]] = {
    "burgess": (_burgess_encoder, _burgess_decoder),
    "higgins": (_higgins_encoder, _higgins_decoder),
}


def _lookup(architecture: str):
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {architecture!r}; "
            f"choose one of {sorted(ARCHITECTURES)}"
        )
    return ARCHITECTURES[architecture]


def build_encoder(
    architecture: str, input_shape: tuple[int, int, int], latent_dim: int
) -> keras.Model:
    """Builds the named encoder: images -> 2 * latent_dim parameters."""
    return _lookup(architecture)[0](tuple(input_shape), latent_dim)


def build_decoder(
    architecture: str, input_shape: tuple[int, int, int], latent_dim: int
) -> keras.Model:
    """Builds the named decoder: latents -> logits of input_shape."""
    return _lookup(architecture)[1](tuple(input_shape), latent_dim)
