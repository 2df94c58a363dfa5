"""Ground-truth data: the dSprites simulator (and its colour, noisy and
scream variants), real tfds dSprites, 3D Shapes and smallNORB, any arrays.

Every data set implements ``GroundTruthData`` (factor names and sizes,
``sample_factors``, ``sample_observations_from_factors``); ``make_dataset``
turns one (or an image array) into the one training batch stream, as a
``tf.data`` input; ``get_data`` builds one by name (the only place names
are resolved). Importing this package does not import TensorFlow.
"""

from __future__ import annotations

import functools

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors
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
from keras_bvae.datasets.tfds_local import DataNotPreparedError

__all__ = [
    "ArrayGroundTruthData",
    "DATA_NAMES",
    "DataNotPreparedError",
    "DSpritesNotPreparedError",
    "DSpritesSimulator",
    "GroundTruthData",
    "PackedBinaryImages",
    "TfdsDSprites",
    "TfdsShapes3D",
    "TfdsSmallNORB",
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


def get_data(
    name: str = "dsprites-sim", data_dir: str | None = None, **kwargs
) -> GroundTruthData:
    """Builds ground-truth data by name.

    Args:
        name: ``"dsprites-sim"`` (the procedural simulator, default),
            ``"dsprites-color-sim"``, ``"dsprites-noisy-sim"``,
            ``"dsprites-scream-sim"`` (its variants of Locatello et al.
            2019, RGB), ``"dsprites-tfds"`` (real dSprites),
            ``"shapes3d-tfds"`` (3D Shapes) or ``"smallnorb-tfds"``
            (smallNORB), the last three via tensorflow-datasets.
        data_dir: str or None. tfds data folder, for data read through tfds
            (ignored by the simulator). Defaults to tfds's default.
        **kwargs: passed to ``DSpritesSimulator``, ``TfdsDSprites``,
            ``TfdsShapes3D`` or ``TfdsSmallNORB``.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.
    """
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data {name!r}; valid names: {', '.join(DATA_NAMES)}"
        ) from None
    simulated = getattr(factory, "func", factory) is DSpritesSimulator
    if data_dir is not None and not simulated:
        kwargs["data_dir"] = data_dir
    return factory(**kwargs)
