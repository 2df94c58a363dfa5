"""Encoder and decoder builders for the beta-VAE.

Two named architectures:

- ``"burgess"``: the convolutional network of Burgess et al. (2018),
  "Understanding disentangling in beta-VAE", also used by disentanglement_lib:
  for 64x64 images four 4x4 stride-2 convolutions of 32 filters, dense 256,
  256, then 2 * latent_dim outputs; the decoder mirrors it with transposed
  convolutions. Other square sizes 4 * 2**k from 16 to 256 get one
  convolution per halving down to 4x4 (32 -> 3, 64 -> 4, 128 -> 5; see
  ``burgess_depth``), with the same filters and dense layers, so the 64x64
  network is exactly the published one (same layers, names and weights).
- ``"higgins"``: the MLP of Higgins et al. (2017), "beta-VAE: Learning basic
  visual concepts with a constrained variational framework": a 1200-1200 ReLU
  encoder and a 1200-1200-1200 tanh decoder.

Under a mixed precision policy the two layers that touch the latent code
compute in float32 (``LATENT_DTYPE``), the rest in the policy's low
precision.

The encoder maps images (B, H, W, C) to 2 * latent_dim parameters (mean and
unconstrained log-variance); the decoder maps latents (B, latent_dim) to
per-pixel logits (B, H, W, C). Any pair of Keras models with those shapes can
be passed to ``BetaVAE`` instead. Both take any number of channels C
(1 for grey, 3 for colour); only the input and the last layer change.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

__all__ = [
    "ARCHITECTURES",
    "build_decoder",
    "build_encoder",
    "burgess_depth",
]


# Side lengths the "burgess" network takes: 4 * 2**k for k in [2, 6].
BURGESS_MIN_SIZE = 16
BURGESS_MAX_SIZE = 256
_BURGESS_BOTTOM = 4  # the convolutions stop at a 4x4 feature map
# The layers next to the latent code (the encoder's posterior_params, the
# decoder's first Dense) compute in float32 under any mixed precision
# policy: rounding the posterior mean and the sample z to bfloat16 (8
# significant bits, steps of 0.008 near 1) costs the code the precision of
# its most informative latents (posterior sd near 0.05). Both layers are
# small, so this costs no measurable speed.
LATENT_DTYPE = "float32"


def burgess_depth(input_shape) -> int:
    """Number of stride-2 convolutions of the "burgess" network.

    One per halving of the side from the image size down to 4x4:
    ``log2(size / 4)``, so 16 -> 2, 32 -> 3, 64 -> 4 (the published
    network), 128 -> 5, 256 -> 6. The decoder mirrors it with as many
    transposed convolutions.

    Args:
        input_shape: (H, W, C) of the images.

    Returns:
        int. The depth.

    Raises:
        ValueError: the images are not square, or their side is not 4
            times a power of two between 16 and 256; the message names
            the shape.
    """
    shape = tuple(int(d) for d in input_shape)
    sizes = [BURGESS_MIN_SIZE]
    while sizes[-1] < BURGESS_MAX_SIZE:
        sizes.append(2 * sizes[-1])
    allowed = ", ".join(map(str, sizes))
    if len(shape) != 3 or shape[0] != shape[1] or shape[0] not in sizes:
        raise ValueError(
            "the 'burgess' architecture needs square images whose side is "
            f"one of {allowed} (4 times a power of two); got input_shape="
            f"{shape}. Resize the images (ImageFolder(image_size=...)) or "
            "use architecture='higgins', which takes any size"
        )
    return (shape[0] // _BURGESS_BOTTOM).bit_length() - 1


def _burgess_encoder(input_shape, latent_dim: int) -> keras.Model:
    depth = burgess_depth(input_shape)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    for i in range(depth):
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
    params = layers.Dense(
        2 * latent_dim, name="posterior_params", dtype=LATENT_DTYPE
    )(x)
    return keras.Model(inputs, params, name="encoder")


def _burgess_decoder(input_shape, latent_dim: int) -> keras.Model:
    depth = burgess_depth(input_shape)
    channels = input_shape[2]
    side = _BURGESS_BOTTOM
    inputs = keras.Input(shape=(latent_dim,), name="latents")
    x = layers.Dense(256, activation="relu", name="dense1", dtype=LATENT_DTYPE)(
        inputs
    )
    x = layers.Dense(256, activation="relu", name="dense2")(x)
    x = layers.Dense(side * side * 32, activation="relu", name="dense3")(x)
    x = layers.Reshape((side, side, 32), name="reshape")(x)
    for i in range(depth - 1):
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
    params = layers.Dense(
        2 * latent_dim, name="posterior_params", dtype=LATENT_DTYPE
    )(x)
    return keras.Model(inputs, params, name="encoder")


def _higgins_decoder(input_shape, latent_dim: int) -> keras.Model:
    size = 1
    for dim in input_shape:
        size *= dim
    inputs = keras.Input(shape=(latent_dim,), name="latents")
    x = inputs
    for i in range(3):
        x = layers.Dense(
            1200,
            activation="tanh",
            name=f"dense{i + 1}",
            dtype=LATENT_DTYPE if i == 0 else None,
        )(x)
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
