"""ArrayGroundTruthData and PackedBinaryImages: lookup, absent rule, errors."""

import warnings

import numpy as np
import pytest

from keras_bvae.datasets.arrays import ArrayGroundTruthData
from keras_bvae.datasets.base import (
    GroundTruthData,
    WrappedGroundTruthData,
    as_rng,
)
from keras_bvae.datasets.packed import PackedBinaryImages


def grid_data(drop=()):
    """Images of a 3x4x2 factor grid; each image's pixels encode its row."""
    factors = np.array(
        [(a, b, c) for a in range(3) for b in range(4) for c in range(2)]
    )
    keep = [i for i, f in enumerate(map(tuple, factors)) if f not in drop]
    factors = factors[keep]
    n = len(factors)
    images = np.zeros((n, 4, 4, 1), np.float32)
    images[:, 0, 0, 0] = np.arange(n) / (n - 1)
    return ArrayGroundTruthData(
        images, factors, factor_sizes=(3, 4, 2), factor_names=["a", "b", "c"]
    )


def row_of(images, n):
    return np.rint(images[:, 0, 0, 0] * (n - 1)).astype(int)


def test_exact_combinations_are_looked_up():
    data = grid_data()
    assert data.factor_sizes == (3, 4, 2) and data.is_complete
    assert data.factor_names == ("a", "b", "c")
    assert data.observation_shape == (4, 4, 1)
    factors = data.sample_factors(50, rng=0)
    rows = row_of(data.sample_observations_from_factors(factors), 24)
    np.testing.assert_array_equal(data.factors[rows], factors)


def test_duplicates_are_drawn_uniformly():
    images = np.arange(3, dtype=np.float32).reshape(3, 1, 1, 1) / 2
    data = ArrayGroundTruthData(images, [[0], [0], [1]])
    rng = np.random.default_rng(0)
    got = data.sample_observations_from_factors(np.zeros((600, 1), int), rng)
    counts = np.bincount(np.rint(got.ravel() * 2).astype(int), minlength=3)
    assert counts[2] == 0 and 240 < counts[0] < 360 and counts[0] + counts[1]


def test_absent_combination_keeps_the_kept_factor():
    data = grid_data(drop={(1, 2, 0), (1, 2, 1), (0, 0, 0)})
    assert not data.is_complete and data.num_combinations == 21
    rng = np.random.default_rng(1)
    request = np.array([[1, 2, 0]] * 200)
    for keep in (0, 1, 2):
        rows = data.rows_for_factors(request, rng, keep=keep)
        assert (data.factors[rows, keep] == request[:, keep]).all()
        # Nearest: two of three factors match (b=2 exists with a != 1).
        matches = (data.factors[rows] == request).sum(axis=1)
        assert (matches == 2).all()
    rows = data.rows_for_factors(request, rng, keep=[0, 2])
    assert (data.factors[rows][:, [0, 2]] == [1, 0]).all()


def test_absent_combination_without_keep_is_a_nearest_one():
    data = grid_data(drop={(0, 0, 0)})
    rows = data.rows_for_factors(np.zeros((300, 3), int), rng=2)
    found = {tuple(f) for f in data.factors[rows]}
    # Every combination one factor away, and only those.
    assert found == {
        (1, 0, 0),
        (2, 0, 0),
        (0, 1, 0),
        (0, 2, 0),
        (0, 3, 0),
        (0, 0, 1),
    }


def test_kept_class_that_no_image_has_is_an_error():
    data = grid_data(drop={(2, b, c) for b in range(4) for c in range(2)})
    with pytest.raises(ValueError, match="'a': 2"):
        data.sample_observations_from_factors([[2, 0, 0]], keep=0)
    with pytest.raises(ValueError, match="keep index 3"):
        data.sample_observations_from_factors([[0, 0, 0]], keep=3)


def test_sample_factors_draws_present_combinations():
    data = grid_data(drop={(1, b, c) for b in range(4) for c in range(2)})
    factors = data.sample_factors(300, rng=3)
    assert set(factors[:, 0]) == {0, 2}
    assert factors.dtype == np.int64


def test_packed_store_gives_the_same_images():
    rng = np.random.default_rng(4)
    images = (rng.random((10, 8, 8, 1)) > 0.5).astype(np.uint8)
    factors = np.arange(10)[:, None]
    store = PackedBinaryImages.from_images(images)
    assert store.nbytes == 10 * 8 and len(store) == 10
    packed = ArrayGroundTruthData(store, factors)
    dense = ArrayGroundTruthData(images, factors)
    request = np.array([[3], [0], [9]])
    np.testing.assert_array_equal(
        packed.sample_observations_from_factors(request),
        dense.sample_observations_from_factors(request),
    )
    np.testing.assert_array_equal(store.take([3])[0], images[3])


def test_uint8_255_images_are_scaled_to_unit_range():
    images = np.full((2, 2, 2), 255, np.uint8)
    data = ArrayGroundTruthData(images, [[0], [1]])
    assert data.observation_shape == (2, 2, 1)
    assert data.sample_observations_from_factors([[1]]).max() == 1.0


@pytest.mark.parametrize(
    "images, factors, kwargs, message",
    [
        (np.zeros((2, 4, 4)), [[0]], {}, "2 images but 1 factor rows"),
        (np.zeros((2, 4, 4)), [0, 1], {}, r"shape \(n, K\)"),
        (np.zeros((2, 4, 4)), [[0], [-1]], {}, ">= 0; found -1"),
        (np.zeros((2, 4, 4)), [[0.5], [1]], {}, "integer"),
        (np.full((2, 4, 4), 1.5), [[0], [1]], {}, r"\[0, 1\]; found 1.5"),
        (np.full((2, 4, 4), np.nan), [[0], [1]], {}, "NaN"),
        (np.zeros((2, 4)), [[0], [1]], {}, "shape"),
        (np.zeros((2, 4, 4)), [[0], [3]], {"factor_sizes": [2]}, "class 3"),
        (np.zeros((2, 4, 4)), [[0], [1]], {"factor_names": ["a", "b"]}, "2"),
        (
            np.zeros((2, 4, 4)),
            [[0, 0], [1, 1]],
            {"factor_names": ["a", "a"]},
            "unique",
        ),
    ],
)
def test_bad_inputs_give_clear_errors(images, factors, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ArrayGroundTruthData(images, factors, **kwargs)


def test_packed_store_rejects_non_binary_images():
    with pytest.raises(ValueError, match="found the value 2"):
        PackedBinaryImages.from_images(np.full((1, 2, 2), 2, np.uint8))


def test_keep_per_row_keeps_each_rows_own_column():
    data = grid_data(drop={(1, 2, 0), (1, 2, 1), (0, 0, 0)})
    keep_cycle = np.array([0, 1, 2, -1])
    request = np.array([[1, 2, 0], [0, 0, 0]] * 200)
    keep_per_row = np.tile(keep_cycle, 100)
    rows = data.rows_for_factors(request, 5, keep_per_row=keep_per_row)
    got = data.factors[rows]
    kept = keep_per_row >= 0
    idx = np.flatnonzero(kept)
    assert (
        got[idx, keep_per_row[idx]] == request[idx, keep_per_row[idx]]
    ).all()
    # Still the nearest among the allowed: two of three factors match.
    assert ((got == request).sum(axis=1) == 2).all()
    # Each column really is held somewhere it would otherwise move.
    for k in range(3):
        assert (
            got[keep_per_row != k, k] != request[keep_per_row != k, k]
        ).any()
    # Combined with keep: both columns hold.
    rows = data.rows_for_factors(
        request, 6, keep=2, keep_per_row=np.zeros(len(request), int)
    )
    assert (data.factors[rows][:, [0, 2]] == request[:, [0, 2]]).all()
    # Present combinations are still looked up exactly.
    present = data.sample_factors(50, rng=7)
    rows = data.rows_for_factors(present, 8, keep_per_row=np.zeros(50, int))
    np.testing.assert_array_equal(data.factors[rows], present)


def test_keep_per_row_of_minus_one_is_no_keep():
    data = grid_data(drop={(0, 0, 0), (1, 1, 1)})
    request = np.array([[0, 0, 0], [1, 1, 1], [2, 3, 1]] * 50)
    plain = data.rows_for_factors(request, 9)
    none = data.rows_for_factors(
        request, 9, keep_per_row=np.full(len(request), -1)
    )
    np.testing.assert_array_equal(plain, none)


def test_sample_observations_keeping_renders_the_kept_rows():
    data = grid_data(drop={(a, 2, c) for a in (0, 1) for c in range(2)})
    request = np.array([[0, 2, 1], [1, 2, 0], [2, 2, 1], [0, 2, 1]])
    keep_per_row = np.array([1, 1, 0, -1])
    images = data.sample_observations_keeping(
        request, keep_per_row, np.random.default_rng(10)
    )
    got = data.factors[row_of(images, data.num_images)]
    assert (got[np.arange(3), keep_per_row[:3]] == 2).all()
    np.testing.assert_array_equal(got[2], [2, 2, 1])  # present: exact


@pytest.mark.parametrize(
    "keep_per_row, message",
    [
        (np.zeros(3, int), r"shape \(2,\).*got \(3,\)"),
        (np.zeros((2, 1), int), r"shape \(2,\)"),
        (np.zeros(2), "integer factor indices; got dtype float64"),
        (np.array([0, 3]), "has 3 at row 1; it must be -1"),
        (np.array([-2, 0]), "has -2 at row 0"),
    ],
)
def test_bad_keep_per_row_gives_clear_errors(keep_per_row, message):
    data = grid_data(drop={(0, 0, 0)})
    request = [[0, 0, 0], [1, 1, 1]]
    with pytest.raises(ValueError, match=message):
        data.sample_observations_keeping(request, keep_per_row)
    with pytest.raises(ValueError, match=message):
        data.rows_for_factors(request, keep_per_row=keep_per_row)


def test_kept_class_that_no_image_has_per_row_is_an_error():
    data = grid_data(drop={(a, 3, c) for a in range(3) for c in range(2)})
    request = [[0, 0, 0], [1, 3, 1]]
    with pytest.raises(ValueError, match="'b': 3"):
        data.sample_observations_keeping(request, [0, 1])
    # Not keeping b in that row serves the nearest instead.
    rows = data.rows_for_factors(request, 0, keep_per_row=[0, 2])
    assert data.factors[rows[1], 2] == 1


class RngNoise(GroundTruthData):
    """Complete toy data whose rendering draws from ``rng``."""

    factor_names = ("a", "b")
    factor_sizes = (3, 4)
    observation_shape = (2,)

    def sample_observations_from_factors(self, factors, rng=None):
        noise = as_rng(rng).random((len(factors), 2))
        return (np.asarray(factors) + noise).astype(np.float32)


def test_default_keeping_is_plain_rendering_with_the_same_draws():
    data = RngNoise()
    factors = data.sample_factors(20, 0)
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    kept = data.sample_observations_keeping(factors, np.ones(20, int), rng_a)
    plain = data.sample_observations_from_factors(factors, rng_b)
    np.testing.assert_array_equal(kept, plain)
    assert rng_a.random() == rng_b.random()
    with pytest.raises(ValueError, match="has 2 at row 0"):
        data.sample_observations_keeping(factors, np.full(20, 2))


class Marked(WrappedGroundTruthData):
    """Overrides rendering only: marks every image's first pixel."""

    def sample_observations_from_factors(self, factors, rng=None):
        images = self.base.sample_observations_from_factors(factors, rng)
        images[:, 0, 1, 0] = 1.0
        return images


def test_wrappers_keep_through_the_base_unless_they_override_rendering():
    data = grid_data(drop={(1, 2, 0), (1, 2, 1)})
    request = np.array([[1, 2, 0]] * 100)
    keep_per_row = np.ones(100, int)
    plain = WrappedGroundTruthData(data)
    images = plain.sample_observations_keeping(request, keep_per_row, 11)
    assert (data.factors[row_of(images, data.num_images), 1] == 2).all()
    # The override stays in charge of every image, with a warning that the
    # kept factor is not guaranteed on an incomplete base.
    with pytest.warns(UserWarning, match="Marked overrides"):
        images = Marked(data).sample_observations_keeping(
            request, keep_per_row, 11
        )
    assert (images[:, 0, 1, 0] == 1.0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Marked(grid_data()).sample_observations_keeping(request, keep_per_row)
