"""TfdsDSprites: the real tfds builder, offline, on a simulated HDF5 subset."""

import numpy as np
import pytest

pytest.importorskip("h5py")
tfds = pytest.importorskip("tensorflow_datasets")

from keras_bvae.datasets.simulator import DSpritesSimulator  # noqa: E402
from keras_bvae.datasets.tfds_dsprites import (  # noqa: E402
    DSPRITES_HDF5_NAME,
    DSpritesNotPreparedError,
    TfdsDSprites,
    main,
    prepare_from_hdf5,
)


@pytest.fixture(scope="module")
def subset(tmp_path_factory):
    """A 400-image HDF5 written by the simulator, and its indices."""
    sim = DSpritesSimulator()
    index = np.random.default_rng(0).choice(737280, 400, replace=False)
    path = tmp_path_factory.mktemp("h5") / DSPRITES_HDF5_NAME
    sim.write_hdf5(path, index)
    return sim, index, path


@pytest.fixture(scope="module")
def prepared(subset, tmp_path_factory):
    sim, index, path = subset
    data_dir = tmp_path_factory.mktemp("tfds")
    prepare_from_hdf5(path, data_dir, verify_checksum=False)
    return data_dir


def test_real_builder_prepares_the_subset_offline(subset, prepared):
    sim, index, _ = subset
    ds = tfds.load("dsprites", split="train", data_dir=str(prepared))
    examples = list(tfds.as_numpy(ds))
    assert len(examples) == 400
    by_row = {}
    for ex in examples:
        factors = [
            ex[k]
            for k in (
                "label_shape",
                "label_scale",
                "label_orientation",
                "label_x_position",
                "label_y_position",
            )
        ]
        by_row[int(sim.index_of([factors])[0])] = ex
    assert set(by_row) == set(index.tolist())
    ex = by_row[int(index[0])]
    assert ex["image"].shape == (64, 64, 1) and ex["image"].dtype == np.uint8
    np.testing.assert_array_equal(
        ex["image"][..., 0], sim.render(sim.factors_of(index[:1]))[0]
    )
    np.testing.assert_allclose(
        ex["value_scale"], sim.factor_values[1][sim.factors_of(index[:1])[0, 1]]
    )


def test_tfds_dsprites_reads_back_matching_factors(subset, prepared):
    sim, index, _ = subset
    data = TfdsDSprites(prepared)
    assert data.factor_names == sim.factor_names
    assert data.factor_sizes == sim.factor_sizes
    assert data.num_images == 400 and not data.is_complete
    factors = sim.factors_of(index)
    assert {tuple(f) for f in data.factors} == {tuple(f) for f in factors}
    np.testing.assert_array_equal(
        data.sample_observations_from_factors(factors[:50]),
        sim.sample_observations_from_factors(factors[:50]),
    )
    # Absent combinations: the kept factor keeps its requested class.
    request = sim.sample_factors(100, rng=1)
    for k in range(5):
        rows = data.rows_for_factors(request, rng=2, keep=k)
        assert (data.factors[rows, k] == request[:, k]).all()


def test_checksum_is_verified_by_default(subset, tmp_path):
    _, _, path = subset
    with pytest.raises(ValueError, match="verify_checksum=False"):
        prepare_from_hdf5(path, tmp_path)


def test_missing_data_says_what_to_do(tmp_path):
    with pytest.raises(DSpritesNotPreparedError) as info:
        TfdsDSprites(tmp_path / "empty")
    message = str(info.value)
    assert str(tmp_path / "empty") in message
    assert "prepare_from_hdf5" in message and DSPRITES_HDF5_NAME in message
    assert "download=True" in message
    with pytest.raises(FileNotFoundError, match="no such HDF5"):
        prepare_from_hdf5(tmp_path / "missing.hdf5", tmp_path)


def test_command_line_prepare_and_load_by_hdf5_path(tmp_path, capsys):
    sim = DSpritesSimulator()
    path = tmp_path / "tiny.hdf5"
    sim.write_hdf5(path, np.arange(0, 737280, 24576))
    main(
        [
            "prepare",
            str(path),
            "--data-dir",
            str(tmp_path / "tfds"),
            "--no-verify-checksum",
        ]
    )
    assert "prepared" in capsys.readouterr().out
    data = TfdsDSprites(tmp_path / "tfds")
    assert data.num_images == 30
    np.testing.assert_array_equal(data.factors[:, 4], 0)
