"""ImageFolder: the user's PNG/JPEG files as unlabelled training data."""

import os

import numpy as np
import pytest
import tensorflow as tf

from keras_bvae.datasets import (
    ImageFolder,
    ImageSet,
    get_data,
    make_dataset,
)
from keras_bvae.disentanglement import (
    UnlabelledDataError,
    as_ground_truth,
    evaluate,
    mig,
)


def write_png(path, pixels):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(np.asarray(pixels, np.uint8)))


@pytest.fixture
def folder(tmp_path):
    """a.png RGB 20x30 pure red; b.PNG grey 8x8 at 128 (upper-case
    extension); sub/c.jpg a grey 16x16 JPEG; notes.txt and .hidden.png are
    not images of the set."""
    red = np.zeros((20, 30, 3), np.uint8)
    red[..., 0] = 255
    write_png(tmp_path / "a.png", red)
    write_png(tmp_path / "b.PNG", np.full((8, 8, 1), 128))
    jpeg = tf.io.encode_jpeg(np.full((16, 16, 1), 200, np.uint8))
    os.makedirs(tmp_path / "sub")
    tf.io.write_file(str(tmp_path / "sub" / "c.jpg"), jpeg)
    (tmp_path / "notes.txt").write_text("not an image")
    write_png(tmp_path / ".hidden.png", np.zeros((4, 4, 1)))
    return tmp_path


def test_reads_every_image_sorted_resized_as_float_in_unit_range(folder):
    data = ImageFolder(folder, image_size=16, channels=3)
    names = [f.relative_to(folder).as_posix() for f in data.files]
    assert names == ["a.png", "b.PNG", "sub/c.jpg"]
    assert data.observation_shape == (16, 16, 3)
    assert data.num_images == 3
    assert data.factor_names == () and data.factor_sizes == ()
    factors, images = data.rows([0, 1, 2])
    assert factors.shape == (3, 0) and factors.dtype == np.int64
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_allclose(images[0, ..., 0], 1.0)  # red, cropped
    np.testing.assert_allclose(images[0, ..., 1:], 0.0)
    np.testing.assert_allclose(images[1], 128 / 255)  # grey repeated
    np.testing.assert_allclose(images[2], 200 / 255, atol=3 / 255)


def test_grey_conversion_and_upscaling(folder):
    data = get_data(f"folder:{folder}", image_size=32, channels=1)
    assert isinstance(data, ImageFolder)
    assert data.observation_shape == (32, 32, 1)
    images = data.rows([0, 1])[1]
    # Pure red to grey by luminance (0.299 of red, as TF's decoder does).
    np.testing.assert_allclose(images[0], 76 / 255, atol=1.5 / 255)
    np.testing.assert_allclose(images[1], 128 / 255)


def test_crop_keeps_the_centre_and_stretch_keeps_everything(tmp_path):
    # 8 wide, 4 high: left half black, right half white.
    pixels = np.zeros((4, 8, 1), np.uint8)
    pixels[:, 4:] = 255
    write_png(tmp_path / "x.png", pixels)
    cropped = ImageFolder(tmp_path, image_size=4, channels=1).rows([0])[1]
    stretched = ImageFolder(tmp_path, image_size=4, channels=1, crop=False)
    stretched = stretched.rows([0])[1]
    # The centre 4x4 square holds columns 2..5: two black, two white.
    np.testing.assert_allclose(cropped[0, 0, :, 0], [0, 0, 1, 1])
    np.testing.assert_allclose(stretched[0, 0, :, 0], [0, 0, 1, 1], atol=0.3)


def test_same_folder_same_rows(folder):
    first = ImageFolder(folder, image_size=16).rows([2, 0])[1]
    again = ImageFolder(folder, image_size=16).rows([2, 0])[1]
    np.testing.assert_array_equal(first, again)


def test_trains_through_the_batch_stream_and_samples(folder):
    data = ImageFolder(folder, image_size=16, channels=1)
    batches = list(make_dataset(data, batch_size=2, seed=0))
    assert [tuple(b.shape) for b in batches] == [(2, 16, 16, 1)] * 2
    images = data.sample_observations_from_factors(data.sample_factors(5, 0), 0)
    assert images.shape == (5, 16, 16, 1)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: ImageFolder(p / "missing"), FileNotFoundError, "no such"),
        (lambda p: ImageFolder(p / "empty"), ValueError, "no images in"),
        (lambda p: ImageFolder(p / "text"), ValueError, "no images in"),
        (lambda p: ImageFolder(p / "text", channels=4), ValueError, "1 or 3"),
        (lambda p: ImageFolder(p / "bad"), ValueError, r"cannot read .*x\.png"),
        (lambda p: get_data("folder:"), ValueError, "lacks its PATH"),
        (
            lambda p: get_data("dsprites-sim", image_size=32),
            ValueError,
            "does not take image_size",
        ),
        (lambda p: get_data("cifar"), ValueError, "folder:PATH"),
    ],
)
def test_bad_folders_and_names_are_refused_clearly(
    tmp_path, make, error, message
):
    os.makedirs(tmp_path / "empty")
    os.makedirs(tmp_path / "text")
    (tmp_path / "text" / "a.txt").write_text("x")
    os.makedirs(tmp_path / "bad")
    (tmp_path / "bad" / "x.png").write_bytes(b"not a png")
    with pytest.raises(error, match=message):
        make(tmp_path)


def test_supervised_metrics_refuse_unlabelled_images(folder):
    data = ImageFolder(folder, image_size=16, channels=1)
    with pytest.raises(UnlabelledDataError, match="no ground-truth factors"):
        mig(data, lambda x: x.reshape(len(x), -1)[:, :2])
    with pytest.raises(UnlabelledDataError, match="udr"):
        as_ground_truth(data)
    scores = evaluate(
        data,
        lambda x: np.random.default_rng(0).normal(size=(len(x), 2)),
        metrics=["unsupervised"],
        protocol="quick",
    )
    assert np.isfinite(scores["unsupervised"]["gaussian_total_correlation"])


def test_subfolder_labels_make_one_factor(tmp_path):
    for k, name in enumerate(["cats", "dogs"]):
        for i in range(2):
            write_png(tmp_path / name / f"{i}.png", np.full((4, 4, 1), 100 * k))
    data = ImageFolder(tmp_path, image_size=4, channels=1, labels=True)
    assert data.factor_names == ("folder",) and data.factor_sizes == (2,)
    assert data.label_names == ("cats", "dogs")
    factors, images = data.rows([0, 3])
    np.testing.assert_array_equal(factors, [[0], [1]])
    dogs = data.sample_observations_from_factors([[1], [1]], 0)
    np.testing.assert_allclose(dogs, 100 / 255)
    assert as_ground_truth(data) is data
    write_png(tmp_path / "loose.png", np.zeros((4, 4, 1)))
    with pytest.raises(ValueError, match="loose.png lies directly in"):
        ImageFolder(tmp_path, image_size=4, labels=True)


def test_image_set_checks_its_arrays():
    with pytest.raises(ValueError, match="uint8"):
        ImageSet(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="at least one image"):
        ImageSet(np.zeros((0, 4, 4, 1), np.uint8))
    with pytest.raises(ValueError, match="label_names"):
        ImageSet(np.zeros((2, 4, 4, 1), np.uint8), labels=[0, 1])
