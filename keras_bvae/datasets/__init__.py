"""Data: the dSprites simulator (and its colour, noisy and scream
variants), real tfds dSprites, 3D Shapes and smallNORB, arrays, any images.

Every data set implements ``GroundTruthData`` (factor names and sizes,
``sample_factors``, ``sample_observations_from_factors``); ``make_dataset``
turns one (or an image array) into the one training batch stream, as a
``tf.data`` input; ``get_data`` builds one by name (the only place names
are resolved): a name in ``DATA_NAMES``, ``"folder:PATH"`` (the user's
images, ``ImageFolder``) or ``"tfds:NAME"`` (any tfds image data set,
``TfdsImages``); the last two have no factors (``ImageSet``). Importing
this package does not import TensorFlow.
"""

from __future__ import annotations

import functools

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors
from keras_bvae.datasets.image_folder import ImageFolder
from keras_bvae.datasets.images import ImageSet
from keras_bvae.datasets.packed import PackedBinaryImages
from keras_bvae.datasets.shapes3d import TfdsShapes3D, prepare_shapes3d
from keras_bvae.datasets.simulator import DSpritesSimulator
from keras_bvae.datasets.smallnorb import TfdsSmallNORB, prepare_smallnorb
from keras_bvae.datasets.stream import batch_function, make_dataset
from keras_bvae.datasets.tfds_dsprites import (
    DSpritesNotPreparedError,
    TfdsDSprites,
    prepare_from_hdf5,
)
from keras_bvae.datasets.tfds_images import TfdsImages
from keras_bvae.datasets.tfds_local import DataNotPreparedError

__all__ = [
    "ArrayGroundTruthData",
    "DATA_NAMES",
    "DataNotPreparedError",
    "DSpritesNotPreparedError",
    "DSpritesSimulator",
    "DATA_PREFIXES",
    "GroundTruthData",
    "ImageFolder",
    "ImageSet",
    "PackedBinaryImages",
    "TfdsDSprites",
    "TfdsShapes3D",
    "TfdsSmallNORB",
    "TfdsImages",
    "check_data_name",
    "as_rng",
    "batch_function",
    "check_factors",
    "get_data",
    "make_dataset",
    "prepare_from_hdf5",
    "prepare_shapes3d",
    "prepare_smallnorb",
]

_FACTORIES = {
    "dsprites-sim": DSpritesSimulator,
    "dsprites-tfds": TfdsDSprites,
    "dsprites-color-sim": functools.partial(DSpritesSimulator, variant="color"),
    "dsprites-noisy-sim": functools.partial(DSpritesSimulator, variant="noisy"),
    "dsprites-scream-sim": functools.partial(
        DSpritesSimulator, variant="scream"
    ),
    "shapes3d-tfds": TfdsShapes3D,
    "smallnorb-tfds": TfdsSmallNORB,
}
DATA_NAMES = tuple(_FACTORIES)


# "PREFIX:VALUE" names: the user's image folder and any tfds image set.
DATA_PREFIXES = ("folder", "tfds")


def _split_name(name) -> tuple[str, str | None]:
    """(factory key, value after the prefix or None); refuses bad names."""
    if isinstance(name, str) and name in _FACTORIES:
        return name, None
    if isinstance(name, str):
        prefix, sep, value = name.partition(":")
        if sep and prefix in DATA_PREFIXES:
            if not value:
                what = "PATH" if prefix == "folder" else "NAME"
                raise ValueError(
                    f"data {name!r} lacks its {what}: {prefix}:{what}"
                )
            return prefix, value
    raise ValueError(
        f"unknown data {name!r}; valid names: {', '.join(DATA_NAMES)}, "
        "folder:PATH (a folder of PNG/JPEG images) or tfds:NAME (a tfds "
        "image data set)"
    )


def check_data_name(
    name: str, image_size: int | None = None, channels: int | None = None
) -> str:
    """Checks a data name (and image options) without loading anything.

    Returns:
        The name.

    Raises:
        ValueError: an unknown name, or ``image_size`` / ``channels`` for
            data that cannot resize or convert its images.
    """
    key, _ = _split_name(name)
    if key in DATA_PREFIXES:
        return name
    factory = _FACTORIES[key]
    for option, value in (("image_size", image_size), ("channels", channels)):
        if value is not None and not _accepts(factory, option):
            raise ValueError(
                f"data {name!r} does not take {option} (it has fixed "
                f"images); {option} applies to folder:PATH and tfds:NAME"
            )
    return name


def _accepts(factory, option: str) -> bool:
    import inspect

    return option in inspect.signature(factory).parameters


def get_data(
    name: str = "dsprites-sim",
    data_dir: str | None = None,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    **kwargs,
) -> GroundTruthData:
    """Builds data by name.

    Args:
        name: ``"dsprites-sim"`` (the procedural simulator, default),
            ``"dsprites-color-sim"``, ``"dsprites-noisy-sim"``,
            ``"dsprites-scream-sim"`` (its RGB variants of Locatello et al.
            2019), ``"dsprites-tfds"`` (real dSprites), ``"shapes3d-tfds"``
            (3D Shapes) or ``"smallnorb-tfds"`` (smallNORB), the last three
            via tensorflow-datasets, ``"folder:PATH"`` (the PNG and
            JPEG images under PATH, ``ImageFolder``) or ``"tfds:NAME"``
            (the ``image`` feature of the tfds data set NAME,
            ``TfdsImages``).
        data_dir: str or None. tfds data folder, for data read through tfds
            (ignored by the simulator and image folders). Defaults to
            tfds's default.
        image_size: int or None. Side of the square images, for data that
            resizes (folders: 64 if None; tfds: its own size if None).
        channels: int or None. 1 or 3, for data that converts (folders: 3
            if None; tfds: its own channels if None).
        **kwargs: passed to the data set's class.

    Raises:
        ValueError: an unknown name (the message lists the valid ones), or
            ``image_size``/``channels`` for data with fixed images.

    Example:
    ```python
    photos = get_data("folder:~/photos", image_size=64, channels=3)
    digits = get_data("tfds:mnist", image_size=32)
    ```
    """
    check_data_name(name, image_size, channels)
    key, value = _split_name(name)
    if image_size is not None:
        kwargs["image_size"] = image_size
    if channels is not None:
        kwargs["channels"] = channels
    if key == "folder":
        return ImageFolder(value, **kwargs)
    if key == "tfds":
        return TfdsImages(value, data_dir=data_dir, **kwargs)
    factory = _FACTORIES[key]
    if data_dir is not None and _accepts(factory, "data_dir"):
        kwargs["data_dir"] = data_dir
    return factory(**kwargs)
