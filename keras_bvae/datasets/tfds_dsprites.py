"""The real dSprites from tensorflow-datasets, behind ``GroundTruthData``.

``TfdsDSprites`` reads the prepared tfds ``dsprites`` data set (split
``train``) once into memory, one bit per pixel (377 MB for all 737,280
images), indexed by factor classes, so observations for given factors are a
lookup. A data set that lacks some combinations (for example one built from a
subset file) follows the rule of ``ArrayGroundTruthData``.

Offline preparation. The tfds builder downloads the official HDF5 file
``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5`` and converts it. A user
who already has that file calls ``prepare_from_hdf5(path, data_dir)`` (or
``python -m keras_bvae.datasets.tfds_dsprites prepare PATH --data-dir DIR``):
the real builder then reads the local file through tfds's manual-download
directory, which checks the file against the checksum tfds registers for it.
A file that is not the official one (a subset, or one written by
``DSpritesSimulator.write_hdf5``) needs ``verify_checksum=False``, which
hands the builder the local path in place of its download; everything after
that (reading with h5py, encoding, writing the prepared files) is the real
builder's own code (``keras_bvae.datasets.tfds_local``, shared with 3D
Shapes and smallNORB).

Reference:
    Matthey et al. (2017), dSprites; TensorFlow Datasets, ``dsprites`` 2.0.0.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.packed import PackedBinaryImages
from keras_bvae.datasets.simulator import FACTOR_NAMES, FACTOR_SIZES
from keras_bvae.datasets.tfds_local import (
    DataNotPreparedError,
    prepare_from_files,
    prepared_builder,
    tfds_module,
)

__all__ = [
    "DSPRITES_HDF5_NAME",
    "DSPRITES_HDF5_SHA256",
    "DSpritesNotPreparedError",
    "TfdsDSprites",
    "prepare_from_hdf5",
]

DSPRITES_HDF5_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5"
DSPRITES_HDF5_SHA256 = (
    "729fa22e884c9c500e1f17415d580746b4c5894fbbb780a1319bbcfa39a745bb"
)
_LABEL_KEYS = (
    "label_shape",
    "label_scale",
    "label_orientation",
    "label_x_position",
    "label_y_position",
)


class DSpritesNotPreparedError(DataNotPreparedError):
    """The tfds dsprites data is not prepared and could not be made."""


def _data_dir_text(data_dir) -> str:
    if data_dir is not None:
        return str(data_dir)
    return os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")


def _missing_message(data_dir, reason: str) -> str:
    where = _data_dir_text(data_dir)
    return (
        f"tfds 'dsprites' is not prepared in data_dir={where!r} ({reason}).\n"
        "Do one of:\n"
        "  1. With internet: TfdsDSprites(data_dir=..., download=True).\n"
        f"  2. Offline, with the official file {DSPRITES_HDF5_NAME}\n"
        "     (github.com/deepmind/dsprites-dataset), build it with the tfds "
        "builder:\n"
        "       python -m keras_bvae.datasets.tfds_dsprites prepare "
        f"/path/to/{DSPRITES_HDF5_NAME} --data-dir {where}\n"
        "     or in Python: keras_bvae.datasets.prepare_from_hdf5(path, "
        f"data_dir={where!r}).\n"
        "  3. Use the simulator instead: get_data('dsprites-sim')."
    )


def prepare_from_hdf5(
    path: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    *,
    verify_checksum: bool = True,
) -> Path:
    """Builds tfds ``dsprites`` in ``data_dir`` from a local HDF5 file.

    Runs the real tensorflow-datasets builder without network. Does nothing
    when the data set is already prepared there.

    Args:
        path: the HDF5 file (official layout: ``imgs``, ``latents/classes``,
            ``latents/values``).
        data_dir: tfds data directory. Defaults to tfds's default
            (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``).
        verify_checksum: check that the file is the official one (tfds's own
            sha256 check). Pass False for a subset or a simulated file.

    Returns:
        The directory holding the prepared data set.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``verify_checksum`` is True and the file is not the
            official one.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such HDF5 file: {path}")
    return prepare_from_files(
        "dsprites",
        {DSPRITES_HDF5_NAME: path},
        data_dir,
        verify_checksum=verify_checksum,
    )


def _read_split(builder, batch_size: int):
    """Reads the train split as packed bits plus factor classes."""
    tfds = tfds_module()
    num = builder.info.splits["train"].num_examples
    packed = np.empty((num, 64 * 64 // 8), np.uint8)
    factors = np.empty((num, len(_LABEL_KEYS)), np.int64)
    ds = builder.as_dataset(
        split="train", batch_size=batch_size, shuffle_files=False
    )
    start = 0
    for batch in tfds.as_numpy(ds):
        images = batch["image"]
        n = len(images)
        if images.max(initial=0) > 1:
            raise ValueError(
                f"tfds dsprites images should hold 0/1; found {images.max()}"
            )
        packed[start : start + n] = np.packbits(images.reshape(n, -1), axis=1)
        factors[start : start + n] = np.stack(
            [batch[k] for k in _LABEL_KEYS], axis=1
        )
        start += n
    if start != num:
        raise RuntimeError(f"read {start} examples, expected {num}")
    return PackedBinaryImages(packed, (64, 64, 1)), factors


class TfdsDSprites(ArrayGroundTruthData):
    """Real dSprites (tfds ``dsprites``) held in memory, one bit per pixel.

    Factors, classes and order are those of ``DSpritesSimulator``: shape,
    scale, orientation, pos_x, pos_y with sizes (3, 6, 40, 32, 32).
    Reading all 737,280 images takes a few minutes and 377 MB.

    Args:
        data_dir: tfds data directory. Defaults to tfds's default.
        download: let tfds download and prepare the data if it is missing.
            Defaults to False (then a missing data set raises an error that
            says how to prepare it).
        hdf5_path: a local dSprites HDF5 file to prepare the data set from
            first (see ``prepare_from_hdf5``).
        verify_checksum: passed to ``prepare_from_hdf5``.
        batch_size: examples per read batch.

    Raises:
        DSpritesNotPreparedError: the data is not prepared and could not be
            downloaded; the message lists what to do.

    Example:
        >>> data = TfdsDSprites(data_dir="~/tensorflow_datasets")
        >>> images = data.sample_observations_from_factors([[0, 5, 0, 0, 0]])
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
            prepare_from_hdf5(
                hdf5_path, data_dir, verify_checksum=verify_checksum
            )
        builder = prepared_builder(
            "dsprites",
            data_dir,
            download,
            _missing_message,
            DSpritesNotPreparedError,
        )
        self.data_dir = data_dir
        store, factors = _read_split(builder, batch_size)
        super().__init__(
            store,
            factors,
            factor_sizes=FACTOR_SIZES,
            factor_names=FACTOR_NAMES,
        )


def main(argv=None) -> None:
    """``python -m keras_bvae.datasets.tfds_dsprites prepare PATH``."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_bvae.datasets.tfds_dsprites",
        description="Build tfds 'dsprites' from a local HDF5 file, offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="run the tfds builder on a file")
    prep.add_argument("path", help=f"the HDF5 file, e.g. {DSPRITES_HDF5_NAME}")
    prep.add_argument("--data-dir", default=None, help="tfds data directory")
    prep.add_argument(
        "--no-verify-checksum",
        action="store_true",
        help="accept a file that is not the official one (subset, simulated)",
    )
    args = parser.parse_args(argv)
    out = prepare_from_hdf5(
        args.path, args.data_dir, verify_checksum=not args.no_verify_checksum
    )
    print(f"prepared tfds dsprites in {out}")


if __name__ == "__main__":
    main()
