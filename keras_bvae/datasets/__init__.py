"""Ground-truth data: the dSprites simulator, real tfds dSprites, any arrays.

Every data set implements ``GroundTruthData`` (factor names and sizes,
``sample_factors``, ``sample_observations_from_factors``); ``make_dataset``
turns one (or an image array) into the one training batch stream, as a
``tf.data`` input; ``get_data`` builds one by name (the only place names
are resolved). Importing this package does not import TensorFlow.
"""

from __future__ import annotations

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors
from keras_bvae.datasets.packed import PackedBinaryImages
from keras_bvae.datasets.simulator import DSpritesSimulator
from keras_bvae.datasets.stream import batch_function, make_dataset
from keras_bvae.datasets.tfds_dsprites import (
    DSpritesNotPreparedError,
    TfdsDSprites,
    prepare_from_hdf5,
)

__all__ = [
    "ArrayGroundTruthData",
    "DATA_NAMES",
    "DSpritesNotPreparedError",
    "DSpritesSimulator",
    "GroundTruthData",
    "PackedBinaryImages",
    "TfdsDSprites",
    "as_rng",
    "batch_function",
    "check_factors",
    "get_data",
    "make_dataset",
    "prepare_from_hdf5",
]

_FACTORIES = {
    "dsprites-sim": DSpritesSimulator,
    "dsprites-tfds": TfdsDSprites,
}
DATA_NAMES = tuple(_FACTORIES)


def get_data(
    name: str = "dsprites-sim", data_dir: str | None = None, **kwargs
) -> GroundTruthData:
    """Builds ground-truth data by name.

    Args:
        name: ``"dsprites-sim"`` (the procedural simulator, default) or
            ``"dsprites-tfds"`` (real dSprites via tensorflow-datasets).
        data_dir: str or None. tfds data folder, for data read through tfds
            (ignored by the simulator). Defaults to tfds's default.
        **kwargs: passed to ``DSpritesSimulator`` or ``TfdsDSprites``.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.
    """
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data {name!r}; valid names: {', '.join(DATA_NAMES)}"
        ) from None
    if data_dir is not None and factory is not DSpritesSimulator:
        kwargs["data_dir"] = data_dir
    return factory(**kwargs)
