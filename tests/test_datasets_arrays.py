"""ArrayGroundTruthData and PackedBinaryImages: lookup, absent rule, errors."""

import numpy as np
import pytest

from keras_bvae.datasets.arrays import ArrayGroundTruthData
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
