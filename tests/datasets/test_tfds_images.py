"""TfdsImages: any tfds image data set by name, on a tiny builder the test
prepares offline (tfds registers a builder class by its snake_case name)."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_bvae.datasets import TfdsImages, get_data
from keras_bvae.disentanglement import UnlabelledDataError, as_ground_truth


class KerasBvaeTinyImages(tfds.core.GeneratorBasedBuilder):
    """Six 8x12 RGB images: image i has red i * 40; label i % 2."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(8, 12, 3)),
                    "label": tfds.features.ClassLabel(names=["odd", "even"]),
                }
            )
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        for i in range(6):
            image = np.zeros((8, 12, 3), np.uint8)
            image[..., 0] = 40 * i
            yield i, {"image": image, "label": i % 2}


NAME = "keras_bvae_tiny_images"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("tfds"))
    builder = tfds.builder(NAME, data_dir=path)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    return path


def test_reads_the_image_feature_resized_by_name(data_dir):
    data = get_data(f"tfds:{NAME}", data_dir=data_dir, image_size=4)
    assert isinstance(data, TfdsImages)
    assert data.observation_shape == (4, 4, 3)
    assert data.num_images == 6 and data.factor_sizes == ()
    images = data.rows(np.arange(6))[1]
    reds = sorted(np.round(images[:, 0, 0, 0] * 255).astype(int))
    assert reds == [0, 40, 80, 120, 160, 200]  # every example, once
    np.testing.assert_allclose(images[..., 1:], 0.0)
    with pytest.raises(UnlabelledDataError):
        as_ground_truth(data)


def test_channels_and_labels(data_dir):
    data = TfdsImages(NAME, data_dir=data_dir, channels=1, label_key="label")
    assert data.observation_shape == (8, 12, 1)  # its own size
    assert data.factor_names == ("label",) and data.factor_sizes == (2,)
    factors, images = data.rows(np.arange(6))
    index = np.round(images[:, 0, 0, 0] * 255 / 0.299 / 40).astype(int)
    assert sorted(index) == list(range(6))  # grey: 0.299 of the red
    np.testing.assert_array_equal(factors[:, 0], index % 2)


def test_unprepared_data_and_unknown_features_are_refused(data_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="not prepared"):
        TfdsImages(NAME, data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no feature 'img'"):
        TfdsImages(NAME, data_dir=data_dir, image_key="img")
