"""smallNORB (LeCun et al. 2004) from tensorflow-datasets, as in
disentanglement_lib.

48,600 grey 96x96 photographs (two cameras; the first is used) of 50 toys:
5 categories x 10 instances, each under 9 elevations, 18 azimuths and 6
lightings, every combination once. tfds ``smallnorb`` splits them by
instance (train: instances 4, 6, 7, 8, 9; test: 0, 1, 2, 3, 5);
``TfdsSmallNORB`` reads both splits, train first.

Factors, following disentanglement_lib's ``SmallNORB`` (Locatello et al.
2019): category (5), elevation (9), azimuth (18), lighting (6). The
instance is *not* a factor: each factor combination has 10 images, one per
instance, and an observation for given factors is one of them drawn
uniformly (as disentanglement_lib samples the instance), which is the rule
of ``ArrayGroundTruthData`` for repeated combinations. The instance of each
stored image is kept in ``instances``. Azimuth classes are tfds's (the
file's 0, 2, ..., 34 halved).

Images are resized to ``image_size`` (default 64, as disentanglement_lib
does) with Pillow's Lanczos filter (its ``ANTIALIAS``), kept as uint8 and
served as float32 (H, W, 1) in [0, 1]; ``image_size=96`` keeps the
originals.

A file set that lacks some combinations (a subset) follows the rule of
``ArrayGroundTruthData``: ``sample_factors`` draws the combinations present
and an absent one is served by the nearest present one.

Offline preparation: ``prepare_smallnorb(directory, data_dir)`` runs the
real tfds builder on the six official files
(``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat.gz`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat.gz`` from
https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/), checked against the
sha256 tfds registers; ``verify_checksum=False`` for files in the same
binary-matrix layout, gzipped or not.

Reference:
    LeCun, Huang, Bottou (2004), Learning methods for generic object
    recognition with invariance to pose and lighting, CVPR; Locatello et
    al. (2019), ICML (disentanglement_lib ``data/ground_truth/norb.py``);
    TensorFlow Datasets ``smallnorb`` 2.0.0.
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
    "SMALLNORB_FILES",
    "TfdsSmallNORB",
    "prepare_smallnorb",
]

FACTOR_NAMES = ("category", "elevation", "azimuth", "lighting")
FACTOR_SIZES = (5, 9, 18, 6)
NUM_INSTANCES = 10
_LABEL_KEYS = (
    "label_category",
    "label_elevation",
    "label_azimuth",
    "label_lighting",
)
SMALLNORB_FILES = tuple(
    f"smallnorb-{chunk}-{kind}.mat.gz"
    for chunk in (
        "5x46789x9x18x6x2x96x96-training",
        "5x01235x9x18x6x2x96x96-testing",
    )
    for kind in ("dat", "cat", "info")
)


def prepare_smallnorb(
    directory: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    *,
    verify_checksum: bool = True,
) -> Path:
    """Builds tfds ``smallnorb`` in ``data_dir`` from local files, offline.

    Args:
        directory: folder holding the six ``SMALLNORB_FILES`` (with
            ``verify_checksum=False`` each may also be the unzipped
            ``.mat``).
        data_dir: tfds data directory. Defaults to tfds's default.
        verify_checksum: check the files against tfds's registered sha256.
            Pass False for a subset or files written in the same layout.

    Returns:
        The directory holding the prepared data set.

    Raises:
        FileNotFoundError: a file is missing, naming it.
    """
    directory = Path(directory).expanduser()
    files = {}
    for name in SMALLNORB_FILES:
        path = directory / name
        if not path.is_file() and not verify_checksum:
            path = directory / name[: -len(".gz")]
        if not path.is_file():
            raise FileNotFoundError(f"no {name} in {directory}")
        files[name] = path
    return prepare_from_files(
        "smallnorb", files, data_dir, verify_checksum=verify_checksum
    )


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    if size == images.shape[1]:
        return images
    from PIL import Image

    out = np.empty((len(images), size, size), np.uint8)
    for i, image in enumerate(images):
        out[i] = Image.fromarray(image).resize(
            (size, size), Image.Resampling.LANCZOS
        )
    return out


def _read(builder, image_size: int, batch_size: int):
    tfds = tfds_module()
    images, factors, instances = [], [], []
    for split in ("train", "test"):
        ds = builder.as_dataset(
            split=split, batch_size=batch_size, shuffle_files=False
        )
        for batch in tfds.as_numpy(ds):
            images.append(_resize(batch["image"][..., 0], image_size))
            factors.append(np.stack([batch[k] for k in _LABEL_KEYS], axis=1))
            instances.append(batch["instance"])
    return (
        np.concatenate(images)[..., None],
        np.concatenate(factors).astype(np.int64),
        np.concatenate(instances).astype(np.int64),
    )


class TfdsSmallNORB(ArrayGroundTruthData):
    """smallNORB (tfds ``smallnorb``, both splits) held in memory as uint8.

    Factors category, elevation, azimuth, lighting with sizes (5, 9, 18,
    6); the instance is drawn uniformly per observation (see the module
    docstring). Images float32 (image_size, image_size, 1) in [0, 1].

    Args:
        data_dir: tfds data directory. Defaults to tfds's default.
        download: let tfds download and prepare the data if it is missing.
            Defaults to False (then a missing data set raises an error that
            says how to prepare it).
        source_dir: a folder with the six official files to prepare the
            data set from first (see ``prepare_smallnorb``).
        verify_checksum: passed to ``prepare_smallnorb``.
        image_size: side of the served images. Defaults to 64
            (disentanglement_lib's); 96 keeps the originals.
        batch_size: examples per read batch.

    Raises:
        DataNotPreparedError: the data is not prepared and could not be
            downloaded; the message lists what to do.
        ValueError: an ``image_size`` outside [8, 96].

    Example:
        >>> data = TfdsSmallNORB(data_dir="~/tensorflow_datasets")
        >>> data.sample(4, rng=0)[1].shape
        (4, 64, 64, 1)
    """

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        download: bool = False,
        source_dir: str | os.PathLike | None = None,
        verify_checksum: bool = True,
        image_size: int = 64,
        batch_size: int = 4096,
    ):
        if not isinstance(image_size, int) or not 8 <= image_size <= 96:
            raise ValueError(
                f"image_size must be an int in [8, 96]; got {image_size!r}"
            )
        if data_dir is not None:
            data_dir = os.path.expanduser(os.fspath(data_dir))
        if source_dir is not None:
            prepare_smallnorb(
                source_dir, data_dir, verify_checksum=verify_checksum
            )
        builder = prepared_builder("smallnorb", data_dir, download, _missing)
        self.data_dir = data_dir
        self.image_size = image_size
        images, factors, instances = _read(builder, image_size, batch_size)
        self.instances = instances
        super().__init__(
            images,
            factors,
            factor_sizes=FACTOR_SIZES,
            factor_names=FACTOR_NAMES,
        )


def _missing(data_dir, reason: str) -> str:
    where = data_dir_text(data_dir)
    names = "\n".join(f"         {name}" for name in SMALLNORB_FILES)
    return not_prepared_message(
        "smallnorb",
        data_dir,
        reason,
        "with the six official files of "
        "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/ in one folder:\n"
        f"{names}\n"
        "     build it with the tfds builder:\n"
        "       keras_bvae.datasets.prepare_smallnorb('/path/to/folder', "
        f"data_dir={where!r})\n"
        "     or TfdsSmallNORB(data_dir=..., source_dir=...).",
    )
