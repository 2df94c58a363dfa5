"""LatentTraversalCallback draws PNGs and TensorBoard images during fit."""

import os

import keras
import pytest
import tensorflow as tf

from keras_bvae import BetaVAE
from keras_bvae.callbacks import LatentTraversalCallback


def test_writes_pngs_and_tensorboard_images(blob_images, tmp_path):
    images = blob_images(16)
    model = BetaVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    callback = LatentTraversalCallback(
        images[:4], output_dir=str(tmp_path / "png"), every_n_epochs=2,
        values=[-1.0, 0.0, 1.0], tensorboard_dir=str(tmp_path / "tb"),
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
