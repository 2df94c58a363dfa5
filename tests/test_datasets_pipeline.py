"""make_dataset and get_data: shapes, dtypes, order, names."""

import numpy as np
import pytest

from keras_bvae.datasets import (
    DATA_NAMES,
    ArrayGroundTruthData,
    DSpritesNotPreparedError,
    DSpritesSimulator,
    GroundTruthData,
    get_data,
    make_dataset,
)


@pytest.fixture(scope="module")
def sim():
    return DSpritesSimulator()


def collect(dataset):
    return [
        tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else b.numpy()
        for b in dataset
    ]


def test_batches_have_training_shapes_and_range(sim):
    ds = make_dataset(sim, 16, num_images=40, seed=0)
    batches = collect(ds)
    assert [b.shape for b in batches] == [
        (16, 64, 64, 1),
        (16, 64, 64, 1),
        (8, 64, 64, 1),
    ]
    assert all(b.dtype == np.float32 for b in batches)
    assert set(np.unique(np.concatenate(batches))) == {0.0, 1.0}
    assert int(ds.cardinality()) == 3


def test_with_factors_pairs_images_with_their_factors(sim):
    ds = make_dataset(sim, 8, num_images=24, seed=1, with_factors=True)
    images, factors = collect(ds)[0]
    assert factors.shape == (8, 5) and factors.dtype == np.int64
    np.testing.assert_array_equal(
        images, sim.sample_observations_from_factors(factors)
    )


def test_steps_repeat_the_pool_and_seed_is_reproducible(sim):
    first = collect(
        make_dataset(sim, 8, num_images=20, steps=5, seed=3, with_factors=True)
    )
    again = collect(
        make_dataset(sim, 8, num_images=20, steps=5, seed=3, with_factors=True)
    )
    assert len(first) == 5
    pool = {tuple(f) for _, fs in first[:3] for f in fs}
    assert len(pool) == 20
    assert {tuple(f) for _, fs in first[3:] for f in fs} <= pool
    for (_, a), (_, b) in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_unshuffled_pool_is_data_order(sim):
    ds = make_dataset(sim, 4, num_images=8, shuffle=False, with_factors=True)
    factors = np.concatenate([fs for _, fs in collect(ds)])
    np.testing.assert_array_equal(factors, sim.factors_of(np.arange(8)))


def test_array_data_yields_each_stored_image_once():
    images = np.zeros((10, 8, 8, 1), np.float32)
    images[:, 0, 0, 0] = np.arange(10) / 9
    data = ArrayGroundTruthData(images, np.arange(10)[:, None])
    batches = collect(make_dataset(data, 4, seed=0, with_factors=True))
    seen = np.concatenate([b[0][:, 0, 0, 0] for b in batches])
    np.testing.assert_allclose(np.sort(seen), np.arange(10) / 9, atol=1e-6)
    factors = np.concatenate([b[1][:, 0] for b in batches])
    np.testing.assert_allclose(seen, factors / 9, atol=1e-6)


class _Noise(GroundTruthData):
    factor_names = ("a",)
    factor_sizes = (5,)
    observation_shape = (2, 2, 1)

    def sample_observations_from_factors(self, factors, rng=None):
        factors = np.asarray(factors)
        return np.broadcast_to(
            factors[:, :, None, None] / 4.0, (len(factors), 2, 2, 1)
        ).astype(np.float32)


def test_data_without_rows_needs_num_images():
    with pytest.raises(ValueError, match="num_images"):
        make_dataset(_Noise(), 4)
    batches = collect(make_dataset(_Noise(), 4, num_images=6, seed=0))
    assert [b.shape for b in batches] == [(4, 2, 2, 1), (2, 2, 2, 1)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"num_images": 0}, "num_images"),
        ({"num_images": 737281}, "exceeds"),
        ({"steps": 0}, "steps"),
        ({"num_images": 3, "drop_remainder": True}, "no batch"),
    ],
)
def test_bad_arguments_give_clear_errors(sim, kwargs, message):
    kwargs = {"batch_size": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_dataset(sim, **kwargs)


def test_get_data_by_name(tmp_path):
    assert DATA_NAMES == ("dsprites-sim", "dsprites-tfds")
    assert isinstance(get_data(), DSpritesSimulator)
    assert isinstance(get_data("dsprites-sim"), DSpritesSimulator)
    with pytest.raises(DSpritesNotPreparedError, match="prepare"):
        get_data("dsprites-tfds", data_dir=tmp_path)
    with pytest.raises(ValueError, match="dsprites-sim, dsprites-tfds"):
        get_data("mnist")
