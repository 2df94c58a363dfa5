"""Image inputs at the package's edge: conversion and clear errors.

Images enter as float32 in [0, 1] of shape (B, H, W, C). Also accepted and
converted: integer arrays (tfds's uint8 {0, 1} pixels are cast as they are,
with no rescaling), a feature dict holding ``"image"`` (as tfds yields), and
an ``(images, labels)`` tuple, whose labels are ignored. Wrong rank or size,
NaN or inf, and, for the Bernoulli likelihood, values outside [0, 1] raise a
ValueError that names the offending value. Nothing is clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "images_from",
    "check_images",
    "check_images_tf",
    "check_latents_tf",
]


def images_from(data: Any) -> Any:
    """Takes the images out of a feature dict or an (images, ...) tuple."""
    if isinstance(data, dict):
        if "image" not in data:
            raise ValueError(
                "a feature dict must hold the images under 'image'; "
                f"got keys {sorted(data)}"
            )
        return data["image"]
    if isinstance(data, (tuple, list)) and not isinstance(data, np.ndarray):
        if not data:
            raise ValueError("got an empty tuple instead of images")
        return images_from(data[0])
    return data


def check_images(
    images: Any,
    image_shape: Sequence[int],
    *,
    unit_range: bool = True,
) -> np.ndarray:
    """Validates numpy-convertible images and returns them as float32.

    Args:
        images: array-like (B, H, W, C), a dict with "image", or a tuple.
        image_shape: the expected (H, W, C).
        unit_range: require values in [0, 1] (the Bernoulli likelihood).

    Raises:
        ValueError: wrong rank or shape, empty batch, non-numeric dtype,
            NaN/inf, or values outside [0, 1], naming the bad value.
    """
    array = np.asarray(images_from(images))
    expected = tuple(int(d) for d in image_shape)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise ValueError(f"images must be numeric; got dtype {array.dtype}")
    dims = ", ".join(map(str, expected))
    if array.shape == expected:
        raise ValueError(
            f"images must be a batch of shape (B, {dims}); got a single "
            f"image of shape {array.shape}: add a batch axis"
        )
    if array.ndim != len(expected) + 1:
        raise ValueError(
            f"images must have rank {len(expected) + 1} (B, "
            f"{', '.join(map(str, expected))}); got shape {array.shape}"
        )
    if tuple(array.shape[1:]) != expected:
        raise ValueError(
            f"images must have shape (B, {', '.join(map(str, expected))}); "
            f"got {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError("got an empty batch of images (B = 0)")
    array = array.astype(np.float32, copy=False)
    finite = np.isfinite(array)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"images contain {array[index]} at index {index}; "
            "they must be finite"
        )
    if unit_range:
        outside = (array < 0) | (array > 1)
        if outside.any():
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            raise ValueError(
                f"images must lie in [0, 1] for the Bernoulli likelihood; got "
                f"{array[index]} at index {index} (scale uint8 0..255 images "
                "by 1/255 first)"
            )
    return array


def check_images_tf(
    images: tf.Tensor, image_shape: Sequence[int], *, unit_range: bool = True
) -> tf.Tensor:
    """Graph-mode version of ``check_images`` for tf.data pipelines and
    exported signatures.

    The checks run before anything reads the returned tensor (control
    dependencies), so an image batch of the wrong rank or shape never
    reaches a kernel: a convolution given one unbatched image aborts the
    process (a TensorFlow CHECK failure) instead of raising.

    Raises:
        tf.errors.InvalidArgumentError: when run, for the wrong rank or
            shape, an empty batch, NaN or inf, or (``unit_range``) values
            outside [0, 1].
    """
    images = tf.cast(images, tf.float32)
    expected = [int(d) for d in image_shape]
    dims = ", ".join(map(str, expected))
    shape_ok = _shape_is(images, [None, *expected], nonempty=True)
    shape_check = tf.debugging.Assert(
        shape_ok,
        [
            f"images must have shape (B, {dims}) with B >= 1; got shape",
            tf.shape(images),
        ],
    )
    with tf.control_dependencies([shape_check]):
        checks = [
            tf.debugging.assert_all_finite(images, "images must be finite")
        ]
        if unit_range:
            checks += [
                tf.debugging.assert_greater_equal(
                    tf.reduce_min(images),
                    0.0,
                    message="images must lie in [0, 1]; the minimum is",
                ),
                tf.debugging.assert_less_equal(
                    tf.reduce_max(images),
                    1.0,
                    message="images must lie in [0, 1]; the maximum is",
                ),
            ]
    with tf.control_dependencies([shape_check, *checks]):
        return tf.identity(images)


def check_latents_tf(latents: tf.Tensor, latent_dim: int) -> tf.Tensor:
    """``latents`` (B, M) checked in the graph as ``check_images_tf``
    checks images: the right shape with B >= 1, and finite.

    Raises:
        tf.errors.InvalidArgumentError: when run, for a wrong shape, an
            empty batch, NaN or inf.
    """
    shape_check = tf.debugging.Assert(
        _shape_is(latents, [None, int(latent_dim)], nonempty=True),
        [
            f"latents must have shape (B, {int(latent_dim)}) with B >= 1; "
            "got shape",
            tf.shape(latents),
        ],
    )
    with tf.control_dependencies([shape_check]):
        finite = tf.debugging.assert_all_finite(
            latents, "latents must be finite"
        )
    with tf.control_dependencies([shape_check, finite]):
        return tf.identity(latents)


def _shape_is(tensor: tf.Tensor, expected, nonempty: bool) -> tf.Tensor:
    """A bool tensor: ``tensor``'s run-time shape matches ``expected``
    (None: any size; ``nonempty``: the first axis >= 1).

    Compared as text ("4,64,64,1"), read from the run-time shape: the shape
    declared by a signature is not enforced when it is called, so ops
    that TensorFlow folds from the declared shape (``tf.rank``,
    ``tf.size(tf.shape(x))``) would pass a tensor of another rank.
    """
    sizes = [
        ("[1-9][0-9]*" if nonempty and axis == 0 else "[0-9]+")
        if size is None
        else str(int(size))
        for axis, size in enumerate(expected)
    ]
    text = tf.strings.reduce_join(
        tf.strings.as_string(tf.shape(tensor)), separator=","
    )
    return tf.strings.regex_full_match(text, ",".join(sizes))
