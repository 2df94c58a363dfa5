"""DisentanglementCallback writes its scores into fit's logs and History."""

import csv

import keras
import numpy as np
import pytest
from support import Squares

from keras_bvae import BetaVAE
from keras_bvae.callbacks import DisentanglementCallback

SMALL = {"num_train": 20, "num_eval": 10, "batch_size": 4}


def test_scores_reach_history_and_csv_logger(blob_images, tmp_path):
    model = BetaVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    callback = DisentanglementCallback(
        Squares(grid=6, step=8, side=12),
        metrics=["beta_vae", "mig"],
        every_n_epochs=1,
        settings={"beta_vae": SMALL, "mig": {"num_train": 40}},
        verbose=0,
    )
    csv_path = tmp_path / "history.csv"
    history = model.fit(
        blob_images(16),
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[callback, keras.callbacks.CSVLogger(str(csv_path))],
    )
    for key in ("beta_vae_train_accuracy", "beta_vae_eval_accuracy", "mig"):
        values = history.history[key]
        assert len(values) == 2
        assert all(0.0 <= v <= 1.0 for v in values)
    assert sorted(callback.results) == [1, 2]
    assert callback.results[2]["beta_vae"]["num_train"] == 20
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[1]["mig"]) == pytest.approx(history.history["mig"][1])


def test_train_writes_scores_of_sparse_epochs_into_history_csv(tmp_path):
    # Through keras_bvae.runs.train: the run's history.csv gets a column
    # per score even when the first epoch is not scored (NA there), and no
    # empty val_* columns.
    from keras_bvae.runs.training import TrainConfig, train

    callback = DisentanglementCallback(
        Squares(grid=6, step=8, side=12),
        metrics=["mig"],
        every_n_epochs=2,
        settings={"num_train": 40},
        verbose=0,
    )
    assert callback.log_keys == ("mig",)
    config = TrainConfig(
        output_dir=str(tmp_path),
        architecture="higgins",
        latent_dim=2,
        batch_size=8,
        epochs=2,
        steps_per_epoch=2,
        backup_every=100,
    )
    _, history = train(
        config,
        callbacks=[callback],
        verbose=0,
        data=Squares(grid=6, step=8, side=12),
    )
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert not [k for k in rows[0] if k.startswith("val_")]
    assert rows[0]["mig"] == "NA"
    assert float(rows[1]["mig"]) == pytest.approx(history.history["mig"][0])
    assert float(rows[1]["loss"]) == pytest.approx(history.history["loss"][1])


def test_every_n_epochs_and_final_protocol(blob_images, capsys):
    model = BetaVAE(latent_dim=2, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    callback = DisentanglementCallback(
        Squares(grid=6, step=8, side=12),
        metrics="beta_vae",
        every_n_epochs=2,
        final_protocol="quick",
        settings=SMALL,
    )
    history = model.fit(
        blob_images(8), batch_size=8, epochs=3, verbose=0, callbacks=[callback]
    )
    assert sorted(callback.results) == [2]
    assert "beta_vae_eval_accuracy" in history.history
    assert callback.final_results["beta_vae"]["protocol"] == "quick"
    assert "epoch 2: beta_vae_train_accuracy=" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(metrics=["higgins"]), "unknown metric 'higgins'"),
        (dict(metrics=[]), "at least one metric"),
        (dict(protocol="fast"), "unknown protocol 'fast'"),
        (dict(every_n_epochs=0), "every_n_epochs must be >= 1; got 0"),
    ],
)
def test_bad_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DisentanglementCallback(Squares(grid=6, step=8, side=12), **kwargs)


def test_bad_data_raises():
    with pytest.raises(ValueError, match="GroundTruthData or a data set name"):
        DisentanglementCallback(np.zeros((3, 64, 64, 1)))
