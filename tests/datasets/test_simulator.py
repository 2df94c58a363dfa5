"""DSpritesSimulator: real grids and order, geometry, writers, errors."""

from pathlib import Path

import numpy as np
import pytest

from keras_bvae.datasets.simulator import DSpritesSimulator

GIF = (
    Path(__file__).resolve().parents[3]
    / "shared/reference/dsprites/dsprites.gif"
)


@pytest.fixture(scope="module")
def sim():
    return DSpritesSimulator()


def one(sim, shape, scale, orientation, x, y):
    return sim.sample_observations_from_factors(
        [[shape, scale, orientation, x, y]]
    )[0, :, :, 0]


def centroid(img):
    """Centroid (x, y) in continuous pixel units (pixel i spans [i, i+1])."""
    rows, cols = np.nonzero(img)
    return cols.mean() + 0.5, rows.mean() + 0.5


def test_factor_grids_match_real_data(sim):
    assert sim.factor_names == (
        "shape",
        "scale",
        "orientation",
        "pos_x",
        "pos_y",
    )
    assert sim.factor_sizes == (3, 6, 40, 32, 32)
    assert sim.observation_shape == (64, 64, 1)
    shape, scale, orientation, pos_x, pos_y = sim.factor_values
    np.testing.assert_array_equal(shape, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(scale, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert orientation[0] == 0.0 and len(orientation) == 40
    np.testing.assert_allclose(orientation[-1], 2 * np.pi)
    np.testing.assert_allclose(np.diff(orientation), 2 * np.pi / 39)
    np.testing.assert_allclose(pos_x, np.arange(32) / 31)
    np.testing.assert_allclose(pos_y, np.arange(32) / 31)


def test_index_order_is_row_major_with_pos_y_fastest(sim):
    rng = np.random.default_rng(0)
    factors = sim.sample_factors(500, rng)
    strides = np.array([245760, 40960, 1024, 32, 1])
    np.testing.assert_array_equal(sim.index_of(factors), factors @ strides)
    np.testing.assert_array_equal(sim.factors_of(factors @ strides), factors)
    np.testing.assert_array_equal(
        sim.factors_of([0, 1, 32, 737279]),
        [
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1],
            [0, 0, 0, 1, 0],
            [2, 5, 39, 31, 31],
        ],
    )
    classes, values = sim.latents([0, 737279])
    assert classes.shape == values.shape == (2, 6)
    np.testing.assert_array_equal(classes[:, 0], 0)
    np.testing.assert_array_equal(values[:, 0], 1.0)
    np.testing.assert_allclose(values[1], [1, 3, 1, 2 * np.pi, 1, 1])


def test_pixels_are_binary_float32(sim):
    factors = sim.sample_factors(64, rng=1)
    images = sim.sample_observations_from_factors(factors)
    assert images.shape == (64, 64, 64, 1) and images.dtype == np.float32
    assert set(np.unique(images)) <= {0.0, 1.0}
    assert (images.sum(axis=(1, 2, 3)) > 20).all()


@pytest.mark.parametrize("shape", [0, 1, 2])
def test_position_moves_centroid_from_16_to_48(sim, shape):
    xs = [centroid(one(sim, shape, 5, 0, p, 0))[0] for p in range(32)]
    ys = [centroid(one(sim, shape, 5, 0, 0, p))[1] for p in range(32)]
    assert abs(xs[0] - 16) < 0.5 and abs(xs[-1] - 48) < 0.5
    assert np.all(np.diff(xs) > 0.5) and np.all(np.diff(ys) > 0.5)
    # y: the heart's centroid is offset from its reference point, so
    # check the span rather than the ends.
    assert abs(ys[-1] - ys[0] - 32) < 0.5


@pytest.mark.parametrize("shape", [0, 1, 2])
def test_scale_changes_area_about_four_times(sim, shape):
    for orientation in (0, 7, 23):
        small = one(sim, shape, 0, orientation, 15, 15).sum()
        large = one(sim, shape, 5, orientation, 15, 15).sum()
        assert 3.5 < large / small < 4.5


def test_sizes_match_reference_measurements(sim):
    square = one(sim, 0, 5, 0, 0, 0)
    rows, cols = np.nonzero(square)
    assert cols.max() - cols.min() + 1 in (19, 20)
    assert 350 < square.sum() < 420
    ellipse = one(sim, 1, 5, 0, 16, 16)
    rows, cols = np.nonzero(ellipse)
    width = cols.max() - cols.min() + 1
    height = rows.max() - rows.min() + 1
    assert 1.6 < width / height < 2.2


def test_orientation_grid_ends_are_the_same_angle(sim):
    for shape in range(3):
        np.testing.assert_array_equal(
            one(sim, shape, 5, 0, 10, 20), one(sim, shape, 5, 39, 10, 20)
        )


def quarter_turns(img, k):
    """Rotates a sprite centred at (16, 16) by k * 90 degrees in place."""
    crop = img[:32, :32]
    return np.rot90(crop, k)


@pytest.mark.parametrize("orientation", [3, 5, 17, 30])
def test_rotation_symmetry_square_90_ellipse_180_heart_none(sim, orientation):
    # At pos (0, 0) the sprite centre is the pixel corner (16, 16), so a
    # quarter turn of the 32x32 crop is an exact 90 degree rotation.
    def mismatch(shape, k):
        img = one(sim, shape, 5, orientation, 0, 0)
        assert img[32:].sum() == 0 and img[:, 32:].sum() == 0
        return int((quarter_turns(img, k) != img[:32, :32]).sum())

    assert mismatch(0, 1) <= 2
    assert mismatch(1, 2) <= 2
    assert mismatch(1, 1) > 50
    assert mismatch(2, 1) > 30
    assert mismatch(2, 2) > 30


def test_heart_points_down_and_turns_counter_clockwise(sim):
    # Real data: the heart's centroid is ~1.9 px above its reference point
    # at orientation 0 and moves to its left at orientation 10 (92 deg).
    x0, y0 = centroid(one(sim, 2, 5, 0, 0, 0))
    assert abs(x0 - 16) < 0.1 and 1.0 < 16 - y0 < 3.0
    x10, y10 = centroid(one(sim, 2, 5, 10, 0, 0))
    assert 1.0 < 16 - x10 < 3.0 and abs(y10 - 16) < 0.5
    # Mirror symmetric about its axis at orientation 0.
    img = one(sim, 2, 5, 0, 0, 0)[:, :32]
    assert (img != img[:, ::-1]).sum() <= 2


@pytest.mark.skipif(not GIF.exists(), reason="reference animation not found")
def test_matches_real_frames_of_the_reference_animation(sim):
    """The data set's own animation holds real images with known factors."""
    from PIL import Image

    gif = Image.open(GIF)
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.array(gif.convert("L")) > 127)
    # frame -> factors (shape, scale, orientation, pos_x, pos_y)
    known = {}
    for k in range(6):
        known[k] = (2, k, 0, 0, 0)
        known[192 + k] = (1, k, 0, 0, 0)
        known[256 + k] = (0, k, 0, 0, 0)
    for k in range(40):
        known[18 + k] = (2, 5, k, 0, 0)
        known[210 + k] = (1, 5, k, 0, 0)
        known[274 + k] = (0, 5, k, 0, 0)
    for p in range(32):
        known[58 + p] = (2, 5, 0, 0, p)
        known[90 + p] = (2, 5, 0, p, 31)
        known[122 + p] = (2, 5, 0, 31, 31 - p)
        known[154 + p] = (2, 5, 0, 31 - p, 0)
    index = sorted(known)
    factors = np.array([known[i] for i in index])
    real = np.array([frames[i] for i in index])
    fake = sim.sample_observations_from_factors(factors)[..., 0] > 0.5
    wrong = (fake != real).sum(axis=(1, 2))
    for shape in range(3):
        mean_wrong = wrong[factors[:, 0] == shape].mean()
        assert mean_wrong < 2.0, (shape, mean_wrong)
    assert wrong.max() <= 10


def test_npz_writer_round_trip(sim, tmp_path):
    index = np.random.default_rng(2).choice(737280, 300, replace=False)
    path = tmp_path / "dsprites_subset.npz"
    sim.write_npz(path, index)
    with np.load(path, allow_pickle=True, encoding="latin1") as f:
        assert set(f.files) == {
            "imgs",
            "latents_classes",
            "latents_values",
            "metadata",
        }
        imgs = f["imgs"]
        classes = f["latents_classes"]
        values = f["latents_values"]
        meta = f["metadata"][()]
    assert imgs.shape == (300, 64, 64) and imgs.dtype == np.uint8
    assert set(np.unique(imgs)) <= {0, 1}
    assert classes.shape == (300, 6) and classes.dtype == np.int64
    assert values.shape == (300, 6) and values.dtype == np.float64
    np.testing.assert_array_equal(classes[:, 1:], sim.factors_of(index))
    np.testing.assert_array_equal(values[:, 0], 1.0)
    expected = sim.sample_observations_from_factors(classes[:, 1:])
    np.testing.assert_array_equal(imgs, expected[..., 0])
    np.testing.assert_array_equal(meta["latents_sizes"], [1, 3, 6, 40, 32, 32])
    assert meta["latents_names"][3] == "orientation"
    np.testing.assert_allclose(
        meta["latents_possible_values"]["scale"], np.linspace(0.5, 1, 6)
    )


def test_hdf5_writer_layout(sim, tmp_path):
    h5py = pytest.importorskip("h5py")
    index = np.arange(1000, 1200)
    path = tmp_path / "dsprites_subset.hdf5"
    sim.write_hdf5(path, index)
    with h5py.File(path, "r") as f:
        imgs = f["imgs"][()]
        classes = f["latents"]["classes"][()]
        values = f["latents"]["values"][()]
    assert imgs.shape == (200, 64, 64) and imgs.dtype == np.uint8
    assert classes.shape == (200, 6) and classes.dtype == np.int64
    assert values.dtype == np.float64
    np.testing.assert_array_equal(classes[:, 1:], sim.factors_of(index))
    np.testing.assert_array_equal(imgs, sim.render(sim.factors_of(index)))


@pytest.mark.parametrize(
    "factors, message",
    [
        ([[3, 0, 0, 0, 0]], "class 3"),
        ([[0, 6, 0, 0, 0]], "class 6"),
        ([[0, 0, 0, 0, 32]], "class 32"),
        ([[0, 0, -1, 0, 0]], "class -1"),
        ([[0, 0, 0, 0]], r"shape \(n, 5\)"),
        ([0, 0, 0, 0, 0], r"shape \(n, 5\)"),
        ([[0.5, 0, 0, 0, 0]], "integer"),
    ],
)
def test_bad_factors_give_clear_errors(sim, factors, message):
    with pytest.raises(ValueError, match=message):
        sim.sample_observations_from_factors(factors)


def test_bad_indices_give_clear_errors(sim):
    with pytest.raises(ValueError, match="737280"):
        sim.factors_of([737280])
    with pytest.raises(ValueError, match="-1"):
        sim.write_npz("unused.npz", [-1])


@pytest.mark.slow
def test_materialized_store_is_a_lookup_of_the_renders():
    """All 737,280 images, bit-packed (377 MB, about 10 s)."""
    sim = DSpritesSimulator()
    store = sim.materialize()
    assert sim.is_materialized and len(store) == 737280
    assert store.nbytes == 737280 * 64 * 64 // 8
    factors = sim.sample_factors(3000, rng=5)
    expected = sim.render(factors)[..., None].astype(np.float32)
    np.testing.assert_array_equal(
        sim.sample_observations_from_factors(factors), expected
    )
    # Row i of the store is the image of factors_of(i).
    rows = np.array([0, 1, 31, 32, 1024, 40960, 245760, 737279])
    np.testing.assert_array_equal(
        store.take(rows), sim.render(sim.factors_of(rows))[..., None]
    )
