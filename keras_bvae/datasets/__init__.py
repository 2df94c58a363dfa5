"""Ground-truth data: the dSprites simulator, real tfds dSprites, any arrays.

Every data set implements ``GroundTruthData`` (factor names and sizes,
``sample_factors``, ``sample_observations_from_factors``); ``make_dataset``
turns one into a ``tf.data`` training input and ``get_data`` picks one by
name. Importing this package does not import TensorFlow.
"""

from __future__ import annotations

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors
from keras_bvae.datasets.packed import PackedBinaryImages
from keras_bvae.datasets.pipeline import make_dataset
from keras_bvae.datasets.simulator import DSpritesSimulator
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


def get_data(name: str = "dsprites-sim", **kwargs) -> GroundTruthData:
    """Builds ground-truth data by name.

    Args:
        name: ``"dsprites-sim"`` (the procedural simulator, default) or
            ``"dsprites-tfds"`` (real dSprites via tensorflow-datasets).
        **kwargs: passed to ``DSpritesSimulator`` or ``TfdsDSprites`` (e.g.
            ``data_dir=...``).

    Raises:
        ValueError: an unknown name; the message lists the valid ones.
    """
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data {name!r}; valid names: {', '.join(DATA_NAMES)}"
        ) from None
    return factory(**kwargs)
