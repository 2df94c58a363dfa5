"""3D Shapes (Burgess & Kim 2018) from tensorflow-datasets.

480,000 RGB 64x64 images of an object in a room, every combination of six
factors once: floor_hue (10), wall_hue (10), object_hue (10), scale (8),
shape (4) and orientation (15), in that order (orientation varies fastest in
the official file). ``TfdsShapes3D`` reads tfds ``shapes3d`` (split
``train``) into memory as uint8 (5.9 GB for the full set; float32 would take
24 GB), so observations for given factors are a lookup, as in
disentanglement_lib's ``Shapes3D``.

Factor classes. The official HDF5 stores factor *values* (``labels``); tfds
turns each column into classes by ranking the distinct values present. That
is the official class order for the full file, where every value occurs,
and it is what ``TfdsShapes3D`` uses for a factor whose ``size`` values are
all present. For a factor with fewer values present (a subset file) the rank
would not be the class, so the stored value (tfds's ``value_*``) is mapped
to the nearest point of the official grid (``FACTOR_VALUES``), and a value
farther than a quarter step from every grid point raises a ValueError.

Partial files follow the rule of ``ArrayGroundTruthData``: ``sample_factors``
draws the combinations present and an absent combination is served by the
nearest present one (``is_complete`` says which case holds).

Offline preparation: ``prepare_shapes3d(path, data_dir)`` runs the real tfds
builder on a local ``3dshapes.h5`` (the official file from
https://storage.googleapis.com/3d-shapes/3dshapes.h5, checked against the
sha256 tfds registers; ``verify_checksum=False`` for a file in the same
layout: ``images`` uint8 (N, 64, 64, 3), ``labels`` float64 (N, 6)).

Reference:
    Burgess & Kim (2018), 3D Shapes Dataset, https://github.com/deepmind/
    3d-shapes; Kim & Mnih (2018), Disentangling by factorising, ICML;
    TensorFlow Datasets ``shapes3d`` 2.0.0.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.tfds_local import (
    data_dir_text,
    not_prepared_message,
    prepare_from_files,
    prepared_builder,
    tfds_module,
)

__all__ = [
    "FACTOR_NAMES",
    "FACTOR_SIZES",
    "FACTOR_VALUES",
    "SHAPES3D_HDF5_NAME",
    "TfdsShapes3D",
    "classes_from_values",
    "prepare_shapes3d",
]

SHAPES3D_HDF5_NAME = "3dshapes.h5"
NUM_IMAGES = 480000
FACTOR_NAMES = (
    "floor_hue",
    "wall_hue",
    "object_hue",
    "scale",
    "shape",
    "orientation",
)
FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
# The official file's value grids (hues wrap around, so 1.0 is left out).
FACTOR_VALUES = (
    np.arange(10) / 10.0,
    np.arange(10) / 10.0,
    np.arange(10) / 10.0,
    np.linspace(0.75, 1.25, 8),
    np.arange(4.0),
    np.linspace(-30.0, 30.0, 15),
)


def classes_from_values(values) -> np.ndarray:
    """Maps (n, 6) factor values to class indices on the official grids.

    Raises:
        ValueError: a value farther than a quarter grid step from every
            point of its factor's grid, naming it.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(FACTOR_SIZES):
        raise ValueError(f"values must have shape (n, 6); got {values.shape}")
    classes = np.empty(values.shape, np.int64)
    for k, grid in enumerate(FACTOR_VALUES):
        dist = np.abs(values[:, k, None] - grid[None, :])
        classes[:, k] = np.argmin(dist, axis=1)
        off = dist[np.arange(len(values)), classes[:, k]]
        tol = 0.25 * (grid[1] - grid[0])
        if (off > tol).any():
            bad = values[np.flatnonzero(off > tol)[0], k]
            raise ValueError(
                f"{FACTOR_NAMES[k]} value {bad} is not on the official grid "
                f"{np.round(grid, 4).tolist()}"
            )
    return classes


def prepare_shapes3d(
    path: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    *,
    verify_checksum: bool = True,
) -> Path:
    """Builds tfds ``shapes3d`` in ``data_dir`` from a local HDF5, offline.

    Args:
        path: the HDF5 file (official layout, see the module docstring).
        data_dir: tfds data directory. Defaults to tfds's default.
        verify_checksum: check the file against tfds's registered sha256.
            Pass False for a subset or a file written in the same layout.

    Returns:
        The directory holding the prepared data set.
    """
    return prepare_from_files(
        "shapes3d",
        {SHAPES3D_HDF5_NAME: path},
        data_dir,
        verify_checksum=verify_checksum,
    )


def _read(builder, batch_size: int):
    tfds = tfds_module()
    num = builder.info.splits["train"].num_examples
    images = np.empty((num, 64, 64, 3), np.uint8)
    labels = np.empty((num, len(FACTOR_NAMES)), np.int64)
    values = np.empty((num, len(FACTOR_NAMES)), np.float64)
    ds = builder.as_dataset(
        split="train", batch_size=batch_size, shuffle_files=False
    )
    start = 0
    for batch in tfds.as_numpy(ds):
        n = len(batch["image"])
        images[start : start + n] = batch["image"]
        for k, name in enumerate(FACTOR_NAMES):
            labels[start : start + n, k] = batch[f"label_{name}"]
            values[start : start + n, k] = batch[f"value_{name}"]
        start += n
    if start != num:
        raise RuntimeError(f"read {start} examples, expected {num}")
    factors = classes_from_values(values)
    for k, size in enumerate(FACTOR_SIZES):
        if len(np.unique(values[:, k])) == size:
            factors[:, k] = labels[:, k]  # every value present: tfds's rank
    return images, factors


class TfdsShapes3D(ArrayGroundTruthData):
    """3D Shapes (tfds ``shapes3d``) held in memory as uint8.

    Factors floor_hue, wall_hue, object_hue, scale, shape, orientation with
    sizes (10, 10, 10, 8, 4, 15); images float32 (64, 64, 3) in [0, 1].
    Reading all 480,000 images takes minutes and 5.9 GB.

    Args:
        data_dir: tfds data directory. Defaults to tfds's default.
        download: let tfds download and prepare the data if it is missing.
            Defaults to False (then a missing data set raises an error that
            says how to prepare it).
        hdf5_path: a local ``3dshapes.h5`` to prepare the data set from
            first (see ``prepare_shapes3d``).
        verify_checksum: passed to ``prepare_shapes3d``.
        batch_size: examples per read batch.

    Raises:
        DataNotPreparedError: the data is not prepared and could not be
            downloaded; the message lists what to do.

    Example:
        >>> data = TfdsShapes3D(data_dir="~/tensorflow_datasets")
        >>> data.sample(4, rng=0)[1].shape
        (4, 64, 64, 3)
    """

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        download: bool = False,
        hdf5_path: str | os.PathLike | None = None,
        verify_checksum: bool = True,
        batch_size: int = 4096,
    ):
        if data_dir is not None:
            data_dir = os.path.expanduser(os.fspath(data_dir))
        if hdf5_path is not None:
            prepare_shapes3d(
                hdf5_path, data_dir, verify_checksum=verify_checksum
            )
        builder = prepared_builder("shapes3d", data_dir, download, _missing)
        self.data_dir = data_dir
        images, factors = _read(builder, batch_size)
        super().__init__(
            images,
            factors,
            factor_sizes=FACTOR_SIZES,
            factor_names=FACTOR_NAMES,
        )


def _missing(data_dir, reason: str) -> str:
    where = data_dir_text(data_dir)
    return not_prepared_message(
        "shapes3d",
        data_dir,
        reason,
        f"with the official file {SHAPES3D_HDF5_NAME} (268 MB, "
        "https://storage.googleapis.com/3d-shapes/3dshapes.h5), build it "
        "with the tfds builder:\n"
        "       keras_bvae.datasets.prepare_shapes3d("
        f"'/path/to/{SHAPES3D_HDF5_NAME}', data_dir={where!r})\n"
        "     or TfdsShapes3D(data_dir=..., hdf5_path=...).",
    )
