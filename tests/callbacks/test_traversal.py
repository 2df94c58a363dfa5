"""LatentTraversalCallback draws PNGs and TensorBoard images during fit,
with rows labelled by factor when given ground-truth data."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import BetaVAE
from keras_bvae.callbacks import LatentTraversalCallback
from keras_bvae.datasets.base import GroundTruthData, as_rng


class Squares(GroundTruthData):
    """A 16 x 16 square at 4 x 4 positions: factors pos_x, pos_y."""

    factor_names = ("pos_x", "pos_y")
    factor_sizes = (4, 4)
    observation_shape = (64, 64, 1)

    def sample_factors(self, num, rng=None):
        return as_rng(rng).integers(0, 4, size=(num, 2))

    def sample_observations_from_factors(self, factors, rng=None):
        images = np.zeros((len(factors), 64, 64, 1), np.float32)
        for i, (x, y) in enumerate(np.asarray(factors)):
            images[i, 16 * y : 16 * y + 16, 16 * x : 16 * x + 16] = 1.0
        return images


def test_writes_pngs_and_tensorboard_images(blob_images, tmp_path):
    images = blob_images(16)
    model = BetaVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    callback = LatentTraversalCallback(
        images[:4],
        output_dir=str(tmp_path / "png"),
        every_n_epochs=2,
        values=[-1.0, 0.0, 1.0],
        tensorboard_dir=str(tmp_path / "tb"),
    )
    model.fit(images, batch_size=8, epochs=4, verbose=0, callbacks=[callback])
    assert sorted(os.listdir(tmp_path / "png")) == [
        "reconstructions_epoch002.png",
        "reconstructions_epoch004.png",
        "traversals_epoch002.png",
        "traversals_epoch004.png",
    ]
    tags = set()
    for event_file in os.listdir(tmp_path / "tb"):
        for event in tf.compat.v1.train.summary_iterator(
            str(tmp_path / "tb" / event_file)
        ):
            tags |= {value.tag for value in event.summary.value}
    assert {"traversals", "reconstructions"} <= tags


def test_rejects_bad_settings(blob_images, tmp_path):
    with pytest.raises(ValueError, match="output_dir, tensorboard_dir"):
        LatentTraversalCallback(blob_images(2))
    with pytest.raises(ValueError, match="every_n_epochs must be >= 1; got 0"):
        LatentTraversalCallback(blob_images(2), str(tmp_path), every_n_epochs=0)
    with pytest.raises(ValueError, match="label_samples must be >= 2; got 1"):
        LatentTraversalCallback(
            blob_images(2), str(tmp_path), data=Squares(), label_samples=1
        )


def test_labels_rows_by_factor_when_given_data(tmp_path):
    data = Squares()
    _, images = data.sample(16, rng=0)
    model = BetaVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    callback = LatentTraversalCallback(
        images[:2],
        output_dir=str(tmp_path / "png"),
        values=[-1.0, 1.0],
        tensorboard_dir=str(tmp_path / "tb"),
        data=data,
        label_samples=200,
    )
    model.fit(images, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    result = callback.latent_factors
    assert result["nmi"].shape == (2, 2)
    assert len(result["labels"]) == 2
    assert all(
        label.startswith(f"z{j}: ") for j, label in enumerate(result["labels"])
    )
    assert result["num_samples"] == 200
    assert sorted(os.listdir(tmp_path / "png")) == [
        "nmi_epoch001.png",
        "reconstructions_epoch001.png",
        "traversals_epoch001.png",
    ]
    texts = []
    for event_file in os.listdir(tmp_path / "tb"):
        for event in tf.compat.v1.train.summary_iterator(
            str(tmp_path / "tb" / event_file)
        ):
            for value in event.summary.value:
                if value.tag == "latent_labels":
                    texts.append(tf.make_ndarray(value.tensor).item().decode())
    assert texts == ["\n\n".join(result["labels"])]
