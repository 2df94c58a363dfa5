"""Images without ground-truth factors (or with one class label each).

The user's own pictures (``ImageFolder``) and image data sets read through
tensorflow-datasets (``TfdsImages``) have no generative factors, so they
cannot be scored by the supervised disentanglement metrics; they train
(``make_dataset``, ``fit``, ``keras_bvae.runs.train``) and are ranked by
the label-free UDR (``keras_bvae.disentanglement.udr``, the ``udr`` column
of a sweep). ``ImageSet`` is what they share: the images held in memory as
uint8 and the data interface with zero factors,

    factor_names == ()   factor_sizes == ()   sample_factors(n) -> (n, 0)
    sample_observations_from_factors((n, 0) factors, rng) -> n images drawn
                                                uniformly with ``rng``
    num_images, rows(indices)               -> the images in stored order

so everything that samples or walks rows works unchanged, and
``keras_bvae.disentanglement.as_ground_truth`` refuses it with
``UnlabelledDataError``. Optionally each image has one class label (the
subfolder of ``ImageFolder(labels=True)``): then the set has one factor
and a requested class draws one of that class's images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors

__all__ = ["ImageSet", "square_uint8"]


def square_uint8(tf, image, image_size: int, crop: bool = True):
    """One uint8 (H, W, C) image tensor, centre-cropped to a square (with
    ``crop``; else stretched) and resized to (S, S, C) with antialiased
    bilinear interpolation: uint8 (S, S, C). ``tf`` is TensorFlow, passed
    in so this module does not import it."""
    image = tf.image.convert_image_dtype(image, tf.float32)
    if crop:
        shape = tf.shape(image)
        side = tf.minimum(shape[0], shape[1])
        image = tf.image.crop_to_bounding_box(
            image, (shape[0] - side) // 2, (shape[1] - side) // 2, side, side
        )
    image = tf.image.resize(
        image, (image_size, image_size), method="bilinear", antialias=True
    )
    image = tf.clip_by_value(tf.round(image * 255.0), 0.0, 255.0)
    return tf.cast(image, tf.uint8)


class ImageSet(GroundTruthData):
    """Images in memory, without factors or with one class label each.

    Holds the images as uint8 (n * H * W * C bytes: 10,000 RGB 64x64
    images take 123 MB) and serves float32 in [0, 1].

    Args:
        images: uint8 (n, H, W, C) array, 0..255.
        labels: int (n,) class of each image in ``[0, len(label_names))``,
            or None (no factors, the default).
        label_names: a name per class; needed with ``labels``.
        label_factor: str. Name of the one factor when labelled. Defaults
            to "label".

    Raises:
        ValueError: an empty set, images that are not uint8 (n, H, W, C),
            or labels that do not match the images.

    Example:
        >>> data = ImageSet(np.zeros((5, 16, 16, 3), np.uint8))
        >>> data.rows([0, 1])[1].shape
        (2, 16, 16, 3)
    """

    def __init__(
        self,
        images,
        labels=None,
        label_names: Sequence[str] | None = None,
        label_factor: str = "label",
    ):
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(
                "images must be uint8 (n, H, W, C); got dtype "
                f"{images.dtype} and shape {images.shape}"
            )
        if len(images) == 0:
            raise ValueError("an ImageSet needs at least one image")
        self._images = images
        self._labels = None
        self._names: tuple[str, ...] = ()
        self._sizes: tuple[int, ...] = ()
        self.label_names: tuple[str, ...] = ()
        if labels is not None:
            if label_names is None:
                raise ValueError("labels need label_names, one per class")
            self.label_names = tuple(str(n) for n in label_names)
            labels = check_factors(
                np.asarray(labels).reshape(-1, 1), (len(self.label_names),)
            )[:, 0]
            if len(labels) != len(images):
                raise ValueError(
                    f"got {len(images)} images but {len(labels)} labels"
                )
            self._labels = labels
            self._names = (str(label_factor),)
            self._sizes = (len(self.label_names),)
            self._by_class = [
                np.flatnonzero(labels == k) for k in range(self._sizes[0])
            ]
            empty = [
                self.label_names[k]
                for k, rows in enumerate(self._by_class)
                if not len(rows)
            ]
            if empty:
                raise ValueError(f"no image has the class(es) {empty}")

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._images.shape[1:])

    @property
    def num_images(self) -> int:
        return len(self._images)

    @property
    def has_labels(self) -> bool:
        """Whether each image has a class label (one factor)."""
        return self._labels is not None

    def images(self, indices=None) -> np.ndarray:
        """Images ``indices`` (all by default) as float32 in [0, 1]."""
        stored = self._images if indices is None else self._images[indices]
        return stored.astype(np.float32) / np.float32(255.0)

    def _factors_of(self, indices) -> np.ndarray:
        if self._labels is None:
            return np.zeros((len(indices), 0), np.int64)
        return self._labels[indices][:, None]

    def rows(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Factors ((n, 0), or (n, 1) labels) and float32 images."""
        indices = np.asarray(indices, np.int64)
        return self._factors_of(indices), self.images(indices)

    def sample_factors(
        self, num: int, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """(num, 0) without labels; else uniform classes, (num, 1)."""
        if self._labels is None:
            return np.zeros((int(num), 0), np.int64)
        return super().sample_factors(num, rng)

    def sample_observations_from_factors(
        self, factors, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """One image per factor row, drawn uniformly with ``rng``: any image
        without labels, else one of the requested class."""
        rng = as_rng(rng)
        factors = check_factors(factors, self._sizes)
        if self._labels is None:
            picks = rng.integers(0, self.num_images, len(factors))
        else:
            picks = np.empty(len(factors), np.int64)
            for row, k in enumerate(factors[:, 0]):
                members = self._by_class[k]
                picks[row] = members[rng.integers(len(members))]
        return self.images(picks)
