"""The training batch stream: batch k depends only on (seed, k).

Every training input of the package comes from here: ``make_dataset`` (the
``tf.data`` input of your own ``fit``), ``keras_bvae.runs.train`` (the CLI,
sweeps, the tuner) and the benchmarks. Because batch k is a function of the
seed and k alone, a resumed run starts the stream at its step without
replaying it, and two entry points with the same seed see the same batches.

The items of a data set are its rows when it has them (``num_images`` and
``rows`` of ``GroundTruthData``: every factor combination of
``DSpritesSimulator``, every stored image of ``ArrayGroundTruthData`` and
``TfdsDSprites``) or the images of a plain (n, H, W, C) array. A pool of
them (all, or ``num_images`` chosen with the seed) is walked through in
passes, pass p a permutation drawn from ``default_rng([seed, p])``; batch k
holds the items at positions kB ... (k+1)B - 1 of the concatenated passes,
so every batch is full. Data without rows is sampled: batch k is
``sample_factors(B, g)`` rendered with ``g = default_rng([seed, k])`` (or
drawn from a fixed pool of ``num_images`` sampled factor vectors).

Batches are made in numpy on tf.data's threads and prefetched; the
simulator renders a batch of 64 in well under a millisecond.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from keras_bvae.validation import check_int

__all__ = ["batch_function", "make_dataset", "observation_shape_of"]


def _has_rows(data: Any) -> bool:
    num = getattr(data, "num_images", None)
    return (
        isinstance(num, (int, np.integer))
        and num > 0
        and callable(getattr(data, "rows", None))
    )


def observation_shape_of(source: Any) -> tuple[int, ...]:
    """Image shape (H, W, C) of a data set or an image array."""
    if hasattr(source, "observation_shape"):
        return tuple(int(d) for d in source.observation_shape)
    return tuple(np.shape(source)[1:])


def _as_image_array(source: Any) -> np.ndarray:
    images = np.asarray(source)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "training images must be a non-empty array (n, H, W, C); got "
            f"shape {images.shape}"
        )
    return images.astype(np.float32, copy=False)


def batch_function(
    source: Any,
    batch_size: int,
    seed: int,
    *,
    num_images: int | None = None,
    shuffle: bool = True,
    with_factors: bool = False,
) -> Callable[[int], Any]:
    """The stream as a function: step k -> batch k (numpy).

    Args:
        source: a ground-truth data set or an image array (n, H, W, C).
        batch_size: int. Images per batch B.
        seed: int. Seed of the stream.
        num_images: int or None. Size of the pool of items trained on,
            chosen with the seed. Defaults to all rows (or, for data without
            rows, a fresh sample every batch).
        shuffle: bool. Permute each pass (and choose a random pool). If
            False, rows are taken in order. Defaults to True.
        with_factors: bool. Return ``(images, factors)``. Defaults to False.

    Returns:
        A function of the step k returning float32 (B, H, W, C) images (and
        int64 (B, K) factor classes).
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if num_images is not None:
        num_images = check_int("num_images", num_images, minimum=1)
    is_array = not hasattr(source, "observation_shape")
    if is_array:
        if with_factors:
            raise ValueError("an image array has no factors to return")
        images = _as_image_array(source)

        def take(rows):
            return None, images[rows]

        total = len(images)
    elif _has_rows(source):
        take, total = source.rows, int(source.num_images)
    else:
        total = None
    if total is not None and num_images is not None and num_images > total:
        raise ValueError(
            f"num_images={num_images} exceeds the {total} items of the data"
        )
    if total is None and num_images is None:
        return _sampled_batches(source, batch_size, seed, with_factors)
    if total is None:  # a fixed pool of sampled factor vectors
        pool_factors = source.sample_factors(
            num_images, np.random.default_rng([seed, 2**31])
        )

        def take(rows):
            factors = pool_factors[rows]
            return factors, source.sample_observations_from_factors(
                factors, np.random.default_rng([seed, 2**31 + 1, rows[0]])
            )

        pool = np.arange(num_images, dtype=np.int64)
    elif num_images is not None and num_images < total and shuffle:
        pool = np.sort(
            np.random.default_rng([seed, 2**31]).choice(
                total, num_images, replace=False
            )
        )
    else:
        pool = np.arange(num_images or total, dtype=np.int64)

    @functools.lru_cache(maxsize=4)
    def permutation(data_pass: int) -> np.ndarray:
        if not shuffle:
            return pool
        order = np.random.default_rng([seed, data_pass]).permutation(len(pool))
        return pool[order]

    def batch(step):
        flat = np.arange(int(step) * batch_size, (int(step) + 1) * batch_size)
        passes, positions = np.divmod(flat, len(pool))
        rows = np.array(
            [permutation(int(p))[i] for p, i in zip(passes, positions)],
            dtype=np.int64,
        )
        factors, images = take(rows)
        images = np.asarray(images, np.float32)
        if with_factors:
            return images, np.asarray(factors, np.int64)
        return images

    batch.pool_size = len(pool)
    return batch


def _sampled_batches(data, batch_size: int, seed: int, with_factors: bool):
    def batch(step):
        rng = np.random.default_rng([seed, int(step)])
        factors = data.sample_factors(batch_size, rng)
        images = np.asarray(
            data.sample_observations_from_factors(factors, rng), np.float32
        )
        if with_factors:
            return images, np.asarray(factors, np.int64)
        return images

    batch.pool_size = None
    return batch


def make_dataset(
    data: Any,
    batch_size: int = 64,
    *,
    seed: int | None = None,
    steps: int | None = None,
    start_step: int = 0,
    num_images: int | None = None,
    with_factors: bool = False,
    shuffle: bool = True,
    drop_remainder: bool = False,
):
    """The batch stream as a prefetched ``tf.data.Dataset``.

    Args:
        data: a ground-truth data set (any object with the data interface)
            or an image array (n, H, W, C) in [0, 1].
        batch_size: int. Images per batch. Defaults to 64.
        seed: int or None. Seed of the stream; None draws one at random.
        steps: int or None. Number of batches. Defaults to one pass over
            the pool: ceil(pool / B) batches, the last one completed from
            the next pass (floor(pool / B) with ``drop_remainder``). Data
            without rows and without ``num_images`` needs ``steps``.
        start_step: int. Index k of the first batch (a resumed run starts
            at its step). Defaults to 0.
        num_images: int or None. Size of the pool of items to train on.
        with_factors: bool. Yield ``(images, factors)`` with int64 (B, K)
            factor classes. Defaults to False.
        shuffle: bool. Random pool and reshuffled passes; False takes rows
            in order. Defaults to True.
        drop_remainder: bool. With ``steps=None``, leave out the pass's
            last, incomplete batch. Defaults to False.

    Returns:
        ``tf.data.Dataset`` of float32 (B, H, W, C) batches (or
        ``(images, factors)`` pairs) of known cardinality.

    Raises:
        ValueError: bad sizes, ``num_images`` larger than the data, or no
            way to know the number of batches.

    Example:
    ```python
    data = keras_bvae.datasets.DSpritesSimulator()
    ds = make_dataset(data, batch_size=64, seed=0)
    model.fit(ds, epochs=5, steps_per_epoch=500)
    ```
    """
    import tensorflow as tf

    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    start_step = check_int("start_step", start_step, minimum=0)
    batch = batch_function(
        data,
        batch_size,
        seed,
        num_images=num_images,
        shuffle=shuffle,
        with_factors=with_factors,
    )
    if steps is None:
        if batch.pool_size is None:
            raise ValueError(
                f"{type(data).__name__} has no rows to pass over; give "
                "steps= (or num_images= for a fixed pool)"
            )
        steps = (
            batch.pool_size // batch_size
            if drop_remainder
            else -(-batch.pool_size // batch_size)
        )
        if steps == 0:
            raise ValueError(
                f"drop_remainder with batch_size={batch_size} > "
                f"{batch.pool_size} images yields no batch"
            )
    steps = check_int("steps", steps, minimum=1)
    shape = (batch_size, *observation_shape_of(data))
    num_factors = len(data.factor_sizes) if with_factors else 0

    def load(step):
        if with_factors:
            images, factors = tf.numpy_function(
                batch, [step], (tf.float32, tf.int64), stateful=False
            )
            images.set_shape(shape)
            factors.set_shape((batch_size, num_factors))
            return images, factors
        images = tf.numpy_function(batch, [step], tf.float32, stateful=False)
        images.set_shape(shape)
        return images

    return (
        tf.data.Dataset.range(start_step, start_step + steps)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
