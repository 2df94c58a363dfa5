"""TfdsShapes3D: the real tfds builder, offline, on a small HDF5 the test
writes in the official layout (a product of 2-4 classes per factor)."""

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
tfds = pytest.importorskip("tensorflow_datasets")

from keras_bvae.datasets import get_data  # noqa: E402
from keras_bvae.datasets.shapes3d import (  # noqa: E402
    FACTOR_NAMES,
    FACTOR_SIZES,
    FACTOR_VALUES,
    SHAPES3D_HDF5_NAME,
    TfdsShapes3D,
    classes_from_values,
    prepare_shapes3d,
)
from keras_bvae.datasets.tfds_local import DataNotPreparedError  # noqa: E402
from keras_bvae.disentanglement import mig  # noqa: E402

# Classes present per factor: a product grid of 2 * 2 * 2 * 2 * 4 * 2.
PRESENT = ([0, 3], [1, 9], [2, 5], [0, 7], [0, 1, 2, 3], [0, 14])
CODE_STEP = 16  # pixel (0, k) holds class_k * 16 in every channel


def encode(factors):
    """Images whose top-left pixels carry the classes, over a gradient."""
    n = len(factors)
    images = np.empty((n, 64, 64, 3), np.uint8)
    images[:] = (np.arange(64) * 2)[None, :, None, None]
    images[:, 0, :6, :] = (factors * CODE_STEP)[:, :, None]
    return images


def read_code(images):
    """The oracle: the true classes of whatever image is served."""
    return np.rint(images[:, 0, :6, 0] * 255 / CODE_STEP)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    grids = np.meshgrid(*PRESENT, indexing="ij")
    factors = np.stack([g.ravel() for g in grids], axis=1)
    values = np.stack(
        [FACTOR_VALUES[k][factors[:, k]] for k in range(6)], axis=1
    )
    path = tmp_path_factory.mktemp("h5") / SHAPES3D_HDF5_NAME
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=encode(factors))
        f.create_dataset("labels", data=values)
    return path, factors


@pytest.fixture(scope="module")
def data(written, tmp_path_factory):
    path, _ = written
    data_dir = tmp_path_factory.mktemp("tfds")
    prepare_shapes3d(path, data_dir, verify_checksum=False)
    return TfdsShapes3D(data_dir=data_dir)


def test_reads_the_real_builder_output_with_official_classes(written, data):
    _, factors = written
    assert data.factor_names == FACTOR_NAMES
    assert data.factor_sizes == (10, 10, 10, 8, 4, 15) == FACTOR_SIZES
    assert data.observation_shape == (64, 64, 3)
    assert data.num_images == len(factors) == 128
    # Classes are the official ones (not tfds's ranks among present values).
    got = {tuple(r) for r in data.factors.tolist()}
    assert got == {tuple(r) for r in factors.tolist()}
    rows, images = data.rows(np.arange(10))
    assert images.dtype == np.float32 and images.shape == (10, 64, 64, 3)
    assert 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_array_equal(read_code(images), rows)


def test_partial_file_samples_present_combinations(data):
    assert not data.is_complete
    factors, images = data.sample(64, rng=0)
    for k, present in enumerate(PRESENT):
        assert set(factors[:, k]).issubset(present)
    np.testing.assert_array_equal(read_code(images), factors)
    a = data.sample_observations_from_factors(factors, rng=1)
    b = data.sample_observations_from_factors(factors, rng=1)
    np.testing.assert_array_equal(a, b)
    # An absent combination keeps the requested class of a kept factor.
    absent = np.array([[3, 1, 2, 3, 0, 0]])  # scale 3 is absent
    kept = data.sample_observations_keeping(absent, [0], rng=0)
    assert read_code(kept)[0, 0] == 3


def test_identity_code_scores_near_one_on_mig(data):
    result = mig(data, read_code, seed=0, num_train=2000)
    assert result["mig"] > 0.95


def test_values_map_to_grid_classes_and_off_grid_values_raise():
    values = np.array([[0.0, 0.9, 0.5, 1.25, 3.0, -30.0]])
    np.testing.assert_array_equal(
        classes_from_values(values), [[0, 9, 5, 7, 3, 0]]
    )
    with pytest.raises(ValueError, match="scale value 0.8 is not on"):
        classes_from_values([[0.0, 0.0, 0.0, 0.8, 0.0, 0.0]])


def test_get_data_name(written, data):
    built = get_data("shapes3d-tfds", data_dir=data.data_dir)
    assert built.num_images == data.num_images


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotPreparedError) as err:
        TfdsShapes3D(data_dir=tmp_path)
    text = str(err.value)
    assert "shapes3d" in text and "download=True" in text
    assert SHAPES3D_HDF5_NAME in text and "prepare_shapes3d" in text
    assert isinstance(err.value, FileNotFoundError)


def test_checksum_is_verified_by_default(written, tmp_path):
    path, _ = written
    with pytest.raises(ValueError, match="verify_checksum=False"):
        prepare_shapes3d(path, tmp_path)
