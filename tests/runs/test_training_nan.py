"""Numerical safety: a NaN or inf loss stops training with a clear message.

Checks what a user relies on after such a failure: the message names the
step and the last good backup, no model.keras is written from the broken
weights, and the kept backup holds finite weights that resume.
"""

import json
import os

import h5py
import keras
import numpy as np
import pytest

from keras_bvae.callbacks import NonFiniteLossError
from keras_bvae.runs.training import TrainConfig, save_model_atomic, train


def config(tmp_path, **kwargs):
    settings = dict(
        output_dir=str(tmp_path / "run"),
        latent_dim=2,
        batch_size=8,
        epochs=2,
        steps_per_epoch=4,
        backup_every=2,
        seed=1,
    )
    settings.update(kwargs)
    return TrainConfig(**settings)


class PoisonAt(keras.callbacks.Callback):
    """Sets the decoder's output bias to NaN after a given step."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == self.step:
            kernel = self.model.decoder.weights[-1]
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


def h5_values(path):
    values = []
    with h5py.File(path) as handle:
        handle.visititems(
            lambda name, obj: (
                values.append(obj[()])
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return values


def test_nan_weights_stop_training_naming_step_and_backup(
    blob_images, tmp_path
):
    cfg = config(tmp_path)
    images = blob_images(32, size=16)
    with pytest.raises(NonFiniteLossError) as caught:
        train(cfg, data=images, verbose=0, callbacks=[PoisonAt(5)])
    message = str(caught.value)
    # Step 5's update is applied, then poisoned; step 6's loss is NaN.
    assert "loss became nan at training step 6 (epoch 2)" in message
    backup = os.path.join(cfg.output_dir, "backup")
    checkpoint = os.path.join(backup, "step-000000004.weights.h5")
    assert f"last good backup is {checkpoint} (step 4)" in message
    assert "no model file was written" in message

    run = os.listdir(cfg.output_dir)
    assert "model.keras" not in run
    assert not [name for name in run if ".tmp" in name]
    state = json.loads(open(os.path.join(backup, "state.json")).read())
    assert state["step"] == 4
    assert all(
        np.isfinite(v).all()
        for v in h5_values(checkpoint)
        if np.issubdtype(np.asarray(v).dtype, np.floating)
    )

    # Rerunning resumes from the good backup and finishes.
    model, history = train(cfg, data=images, verbose=0)
    assert history.epoch == [1]
    assert os.path.exists(os.path.join(cfg.output_dir, "model.keras"))
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    "objective",
    [
        {},
        {"objective": "beta_tcvae"},
        {"objective": "factor_vae"},
        {"objective": "dip_vae_i"},
        {"objective": "dip_vae_ii"},
        {"objective": "annealed_vae", "objective_args": {"capacity_max": 5.0}},
    ],
    ids=lambda o: o.get("objective", "beta_vae"),
)
def test_a_runaway_learning_rate_is_caught(blob_images, tmp_path, objective):
    cfg = config(tmp_path, learning_rate=1e30, **objective)
    with pytest.raises(NonFiniteLossError, match=r"training step \d+"):
        train(cfg, data=blob_images(32, size=16), verbose=0)
    assert not os.path.exists(os.path.join(cfg.output_dir, "model.keras"))


def test_overflowing_gaussian_data_fails_at_step_one(blob_images, tmp_path):
    # Finite but huge pixels: the squared error overflows float32 to inf.
    images = blob_images(16, size=16) * 1e20
    cfg = config(tmp_path, likelihood="gaussian")
    with pytest.raises(
        NonFiniteLossError,
        match="loss became inf at training step 1 .*no backup had been "
        "written yet",
    ):
        train(cfg, data=images, verbose=0)
    assert not os.path.exists(os.path.join(cfg.output_dir, "model.keras"))


def test_model_file_is_never_written_from_nan_weights(tmp_path):
    from keras_bvae.model import BetaVAE

    model = BetaVAE(latent_dim=2, image_shape=(16, 16, 1))
    path = str(tmp_path / "model.keras")
    save_model_atomic(model, path)
    before = open(path, "rb").read()
    kernel = model.encoder.weights[0]
    kernel.assign(np.full(kernel.shape, np.inf, np.float32))
    with pytest.raises(NonFiniteLossError, match="was not written"):
        save_model_atomic(model, path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["model.keras"]


@pytest.mark.parametrize("raw_logvar", [-1e4, 1e4])
def test_extreme_posterior_log_variance_keeps_loss_finite(
    blob_images, raw_logvar
):
    import tensorflow as tf

    from keras_bvae.model import BetaVAE

    model = BetaVAE(latent_dim=2, image_shape=(16, 16, 1), seed=0)
    bias = model.encoder.get_layer("posterior_params").bias
    bias.assign(np.r_[np.zeros(2), np.full(2, raw_logvar)].astype("float32"))
    with tf.GradientTape() as tape:
        terms = model.loss_terms(blob_images(4, size=16), training=True)
    grads = tape.gradient(terms["loss"], model.trainable_variables)
    assert all(np.isfinite(np.asarray(v)).all() for v in terms.values())
    assert all(np.isfinite(g.numpy()).all() for g in grads if g is not None)
