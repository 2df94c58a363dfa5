"""Any tensorflow-datasets image data set, by name, as training data.

``TfdsImages("mnist")`` (or ``get_data("tfds:mnist")``) reads the ``image``
feature of a prepared tfds data set (split ``train``) once into memory as
uint8, converted to the requested channels and, when ``image_size`` is
given, centre-cropped and resized as ``ImageFolder`` does. It has no
generative factors (see ``ImageSet``) unless ``label_key`` names a
``ClassLabel`` feature, which becomes its one factor.
"""

from __future__ import annotations

import os

import numpy as np

from keras_bvae.datasets.images import ImageSet, square_uint8
from keras_bvae.validation import check_int

__all__ = ["TfdsImages"]


class TfdsImages(ImageSet):
    """The images of a tfds data set, held in memory (see ``ImageSet``).

    Args:
        name: str. The tfds name, e.g. "mnist", "cifar10", "celeb_a";
            a config or version as tfds writes them ("name/config:1.0.0").
        split: str. The split, in tfds's split syntax ("train[:10%]").
            Defaults to "train".
        data_dir: str or None. tfds data folder. Defaults to tfds's
            default (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``).
        image_size: int or None. Centre-crop and resize every image to
            this side. Defaults to None: keep the data set's size, which
            must then be fixed and square for the "burgess" network.
        channels: int or None. 1 or 3; colour is turned grey by luminance,
            grey repeated. Defaults to the data set's own channels.
        image_key: str. The image feature. Defaults to "image".
        label_key: str or None. A ``ClassLabel`` feature to keep as the one
            factor. Defaults to None (no factors).
        download: bool. Let tfds download and prepare the data if it is
            not prepared. Defaults to False.

    Raises:
        FileNotFoundError: the data set is not prepared and ``download``
            is False.
        ValueError: an unknown feature, images of varying size without
            ``image_size``, or bad sizes; the message names the value.

    Example:
    ```python
    data = TfdsImages("mnist", image_size=32, channels=1)
    ```
    """

    def __init__(
        self,
        name: str,
        *,
        split: str = "train",
        data_dir: str | os.PathLike | None = None,
        image_size: int | None = None,
        channels: int | None = None,
        image_key: str = "image",
        label_key: str | None = None,
        download: bool = False,
    ):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        import tensorflow_datasets as tfds

        if image_size is not None:
            image_size = check_int("image_size", image_size, minimum=1)
        if channels is not None and (
            isinstance(channels, bool) or channels not in (1, 3)
        ):
            raise ValueError(f"channels must be 1 or 3; got {channels!r}")
        if data_dir is not None:
            data_dir = os.path.expanduser(os.fspath(data_dir))
        builder = tfds.builder(name, data_dir=data_dir)
        if not builder.is_prepared():
            if not download:
                where = data_dir or os.environ.get(
                    "TFDS_DATA_DIR", "~/tensorflow_datasets"
                )
                raise FileNotFoundError(
                    f"tfds {name!r} is not prepared in data_dir={where!r}; "
                    "prepare it with tfds (tfds build, or "
                    "builder.download_and_prepare()) or pass download=True"
                )
            builder.download_and_prepare()
        features = builder.info.features
        for key in (image_key, label_key):
            if key is not None and key not in features:
                raise ValueError(
                    f"tfds {name!r} has no feature {key!r}; it has "
                    f"{sorted(features.keys())}"
                )
        shape = tuple(features[image_key].shape)
        own_channels = shape[-1] if shape and shape[-1] else None
        if channels is None:
            channels = own_channels or 3
        if image_size is None and not (
            len(shape) == 3 and shape[0] and shape[1]
        ):
            raise ValueError(
                f"tfds {name!r} has images of varying size {shape}; give "
                "image_size to resize them"
            )

        def convert(example):
            image = example[image_key]
            if image.shape.rank == 2:
                image = image[..., None]
            have = image.shape[-1]
            if have == 4:
                image = image[..., :3]
                have = 3
            if have == 3 and channels == 1:
                image = tf.image.rgb_to_grayscale(image)
            elif have == 1 and channels == 3:
                image = tf.image.grayscale_to_rgb(image)
            if image_size is not None:
                image = square_uint8(tf, image, image_size)
            label = example[label_key] if label_key else tf.constant(0)
            return image, label

        dataset = (
            builder.as_dataset(split=split, shuffle_files=False)
            .map(convert, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(1024)
        )
        images, labels = [], []
        for batch_images, batch_labels in tfds.as_numpy(dataset):
            images.append(batch_images)
            labels.append(batch_labels)
        if not images:
            raise ValueError(f"tfds {name!r} split {split!r} is empty")
        self.name = name
        self.split = split
        self.data_dir = data_dir
        names = None
        classes = None
        if label_key:
            names = list(features[label_key].names)
            classes = np.concatenate(labels).astype(np.int64)
        super().__init__(
            np.concatenate(images).astype(np.uint8, copy=False),
            labels=classes,
            label_names=names,
            label_factor=label_key or "label",
        )
