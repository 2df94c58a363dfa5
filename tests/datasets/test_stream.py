"""The batch stream (make_dataset) and get_data: shapes, order, seeds,
the same batches as train(), data without rows, names."""

import numpy as np
import pytest

from keras_bvae.datasets import (
    ArrayGroundTruthData,
    DSpritesSimulator,
    GroundTruthData,
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
    # One pass over 40 images is 3 batches; the last is completed from the
    # next pass, so every batch is full.
    assert [b.shape for b in batches] == [(16, 64, 64, 1)] * 3
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
    seen = [tuple(f) for _, fs in first for f in fs]
    pool = set(seen[:20])
    assert len(pool) == 20  # the first pass visits every pool item once
    assert set(seen[20:]) <= pool
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
    batches = collect(make_dataset(data, 5, seed=0, with_factors=True))
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


def test_data_without_rows_is_sampled_per_step():
    with pytest.raises(ValueError, match="steps="):
        make_dataset(_Noise(), 4)
    batches = collect(make_dataset(_Noise(), 4, num_images=6, seed=0))
    assert [b.shape for b in batches] == [(4, 2, 2, 1)] * 2
    sampled = collect(make_dataset(_Noise(), 4, steps=3, seed=0))
    tail = collect(make_dataset(_Noise(), 4, steps=1, start_step=2, seed=0))
    np.testing.assert_array_equal(sampled[2], tail[0])


class _PlainData:
    """Only the five members of the data interface, no base class."""

    factor_names = ("a", "b")
    factor_sizes = (3, 4)
    observation_shape = (2, 2, 1)

    def sample_factors(self, num, rng):
        return np.stack(
            [rng.integers(0, s, num) for s in self.factor_sizes], axis=1
        )

    def sample_observations_from_factors(self, factors, rng):
        value = (factors[:, 0] + 3 * factors[:, 1]) / 11.0
        return np.broadcast_to(
            value[:, None, None, None], (len(factors), 2, 2, 1)
        ).astype(np.float32)


def test_a_plain_data_object_feeds_the_stream():
    images, factors = collect(
        make_dataset(_PlainData(), 8, steps=2, seed=1, with_factors=True)
    )[1]
    np.testing.assert_allclose(
        images[:, 0, 0, 0], (factors[:, 0] + 3 * factors[:, 1]) / 11.0
    )


def test_make_dataset_gives_train_its_batches(tmp_path, monkeypatch):
    import keras_bvae.runs.training as train_module
    from keras_bvae.runs.training import TrainConfig, train

    data = ArrayGroundTruthData(
        np.random.default_rng(0).random((12, 16, 16, 1)).round(),
        np.arange(12)[:, None],
    )
    seen = []
    real = train_module.make_dataset

    def recording(*args, **kwargs):
        dataset = real(*args, **kwargs)
        seen.extend(dataset.as_numpy_iterator())
        return dataset

    monkeypatch.setattr(train_module, "make_dataset", recording)
    config = TrainConfig(
        output_dir=str(tmp_path),
        latent_dim=2,
        batch_size=4,
        epochs=1,
        steps_per_epoch=3,
        seed=5,
    )
    train(config, data=data, verbose=0)
    expected = collect(make_dataset(data, 4, seed=5, steps=3))
    assert len(seen) == 3
    for a, b in zip(seen, expected):
        np.testing.assert_array_equal(a, b)
