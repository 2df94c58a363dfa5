"""TfdsSmallNORB: the real tfds builder, offline, on small files the test
writes in the official binary-matrix layout (gzipped, as downloaded)."""

import gzip

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("PIL")

from keras_bvae.datasets import get_data  # noqa: E402
from keras_bvae.datasets.smallnorb import (  # noqa: E402
    FACTOR_NAMES,
    SMALLNORB_FILES,
    TfdsSmallNORB,
    prepare_smallnorb,
)
from keras_bvae.datasets.tfds_local import DataNotPreparedError  # noqa: E402
from keras_bvae.disentanglement import mig  # noqa: E402

# Present classes: every category, two of each other factor, and two
# instances per split (the official splits hold 4,6,7,8,9 and 0,1,2,3,5).
ELEVATIONS, AZIMUTHS, LIGHTINGS = (0, 8), (0, 17), (0, 5)
INSTANCES = {"training": (4, 6), "testing": (0, 1)}
STEP = 12  # grey level per class in the code bands
BAND = 16  # rows per band at 96 px: category, elevation, azimuth,
# lighting, instance


def write_matrix(path, array):
    """The NORB binary-matrix format (magic, ndim, >= 3 dims, data), gzipped."""
    array = np.ascontiguousarray(array)
    magic = {np.uint8: 507333717, np.int32: 507333716}[array.dtype.type]
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    header = np.array([magic, array.ndim, *dims], "<i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(array.dtype.newbyteorder("<")).tobytes())


def write_chunk(folder, chunk, name):
    grid = np.array(
        [
            (c, i, e, a, light)
            for c in range(5)
            for i in INSTANCES[name]
            for e in ELEVATIONS
            for a in AZIMUTHS
            for light in LIGHTINGS
        ]
    )
    n = len(grid)
    images = np.zeros((n, 2, 96, 96), np.uint8)
    code = grid[:, [0, 2, 3, 4, 1]]  # category, elev., azim., light, inst.
    for b in range(5):
        images[:, 0, BAND * b : BAND * (b + 1)] = (code[:, b] * STEP)[
            :, None, None
        ]
    images[:, 1] = 255  # the second camera, which is not used
    info = np.stack(
        [grid[:, 1], grid[:, 2], 2 * grid[:, 3], grid[:, 4]], axis=1
    ).astype(np.int32)  # instance, elevation, azimuth 0..34, lighting
    prefix = folder / f"smallnorb-{chunk}"
    write_matrix(f"{prefix}-dat.mat.gz", images)
    write_matrix(f"{prefix}-cat.mat.gz", grid[:, 0].astype(np.int32))
    write_matrix(f"{prefix}-info.mat.gz", info)
    return n


def band_rows(size):
    """Row of each band's centre after resizing 96 -> size."""
    return [int((BAND * b + BAND / 2) * size / 96) for b in range(5)]


def read_bands(images):
    rows = band_rows(images.shape[1])
    return np.rint(images[:, rows, images.shape[2] // 2, 0] * 255 / STEP)


def read_code(images):
    """The oracle: the true factors of whatever image is served."""
    return read_bands(images)[:, :4]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("norb")
    n = write_chunk(folder, "5x46789x9x18x6x2x96x96-training", "training")
    n += write_chunk(folder, "5x01235x9x18x6x2x96x96-testing", "testing")
    return folder, n


@pytest.fixture(scope="module")
def data_dir(written, tmp_path_factory):
    folder, _ = written
    data_dir = tmp_path_factory.mktemp("tfds")
    prepare_smallnorb(folder, data_dir, verify_checksum=False)
    return data_dir


@pytest.fixture(scope="module")
def data(data_dir):
    return TfdsSmallNORB(data_dir=data_dir)


def test_reads_both_splits_resized_with_factors_and_instances(written, data):
    _, n = written
    assert data.factor_names == FACTOR_NAMES
    assert data.factor_sizes == (5, 9, 18, 6)
    assert data.observation_shape == (64, 64, 1)
    assert data.num_images == n == 160
    factors, images = data.rows(np.arange(data.num_images))
    assert images.dtype == np.float32 and 0 <= images.min() <= 1
    assert images.max() <= 1
    bands = read_bands(images)
    np.testing.assert_array_equal(bands[:, :4], factors)  # azimuth halved
    np.testing.assert_array_equal(bands[:, 4], data.instances)
    # Train first, then test.
    assert set(data.instances[:80]) == {4, 6}
    assert set(data.instances[80:]) == {0, 1}


def test_instance_is_drawn_uniformly_not_a_factor(data):
    factors = np.repeat([[2, 8, 17, 5]], 400, axis=0)
    images = data.sample_observations_from_factors(factors, rng=0)
    np.testing.assert_array_equal(read_code(images), factors)
    instances, counts = np.unique(read_bands(images)[:, 4], return_counts=True)
    assert instances.tolist() == [0, 1, 4, 6]
    assert counts.min() > 60  # about 100 each
    again = data.sample_observations_from_factors(factors, rng=0)
    np.testing.assert_array_equal(images, again)


def test_image_size_96_keeps_the_originals(data_dir):
    data = TfdsSmallNORB(data_dir=data_dir, image_size=96)
    assert data.observation_shape == (96, 96, 1)
    factors, images = data.rows(np.arange(20))
    np.testing.assert_array_equal(read_code(images), factors)
    with pytest.raises(ValueError, match="image_size must be an int"):
        TfdsSmallNORB(data_dir=data_dir, image_size=128)


def test_identity_code_scores_near_one_on_mig(data):
    result = mig(data, read_code, seed=0, num_train=2000)
    assert result["mig"] > 0.95


def test_get_data_name(data_dir):
    assert get_data("smallnorb-tfds", data_dir=data_dir).num_images == 160


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotPreparedError) as err:
        TfdsSmallNORB(data_dir=tmp_path)
    text = str(err.value)
    assert "smallnorb" in text and "download=True" in text
    assert all(name in text for name in SMALLNORB_FILES)
    with pytest.raises(FileNotFoundError, match="training-dat.mat.gz"):
        prepare_smallnorb(tmp_path, tmp_path)


def test_checksum_is_verified_by_default(written, tmp_path):
    folder, _ = written
    with pytest.raises(ValueError, match="verify_checksum=False"):
        prepare_smallnorb(folder, tmp_path)
