"""Every objective of the family through the model's whole life: model.fit,
the training run and CLI, .keras round trip, export and scoring."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae.cli import main
from keras_bvae.export import CONFIG_FILENAME, export_saved_model
from keras_bvae.objectives import OBJECTIVES, get_objective
from keras_bvae.runs.config import TrainConfig, build_objective
from keras_bvae.runs.training import train

FAMILY = [
    "beta_vae",
    "annealed_vae",
    "beta_tcvae",
    "factor_vae",
    "dip_vae_i",
    "dip_vae_ii",
]
SMALL = {"factor_vae": {"discriminator_layers": 2, "discriminator_units": 32}}


def test_the_family_is_registered():
    assert set(FAMILY) <= set(OBJECTIVES)
    for name in FAMILY:
        cls = OBJECTIVES[name]
        assert cls.hyperparameter is not None
        assert len(cls.study_grid) == 6


@pytest.mark.parametrize("name", FAMILY)
def test_fit_save_load_and_export(name, small_model, blob_images, tmp_path):
    images = blob_images(32, size=16)
    objective = OBJECTIVES[name](**SMALL.get(name, {}))
    model = small_model(objective=objective, image_shape=(16, 16, 1))
    history = model.fit(images, batch_size=16, epochs=2, verbose=0)
    for term in ("loss", *objective.term_names):
        assert np.isfinite(history.history[term]).all(), term
    assert history.history["loss"][-1] < history.history["loss"][0]

    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.objective) is type(objective)
    assert loaded.objective.get_config() == objective.get_config()
    np.testing.assert_allclose(
        loaded.encode(images), model.encode(images), atol=1e-6
    )
    exported = export_saved_model(loaded, str(tmp_path / "export"))
    with open(os.path.join(exported, CONFIG_FILENAME)) as handle:
        config = json.load(handle)
    objective_config = config["model_config"]["objective"]
    assert objective_config["config"] == json.loads(
        json.dumps(objective.get_config())
    )
    served = tf.saved_model.load(exported)
    mean = served.signatures["encode"](images=tf.constant(images[:4]))
    np.testing.assert_allclose(
        mean["mean"].numpy(), model.encode(images[:4]), atol=1e-5
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("beta_tcvae", 8.0),
        ("factor_vae", 40.0),
        ("dip_vae_i", 5.0),
        ("dip_vae_ii", 5.0),
        ("annealed_vae", 10.0),
    ],
)
def test_config_sets_the_objectives_hyperparameter(name, value):
    cls = OBJECTIVES[name]
    config = TrainConfig(
        objective=name, objective_args={cls.hyperparameter: value}
    )
    objective = build_objective(config)
    assert type(objective) is cls
    assert objective.get_config()[cls.hyperparameter] == value


def test_dip_lambda_d_follows_lambda_od_as_in_the_study():
    config = TrainConfig(objective="dip_vae_i", objective_args={"lambda_od": 5})
    assert build_objective(config).lambda_d == 50.0
    config = TrainConfig(
        objective="dip_vae_ii", objective_args={"lambda_od": 5}
    )
    assert build_objective(config).lambda_d == 5.0


def test_config_refuses_settings_of_another_objective():
    def config(objective="beta_vae", **args):
        return TrainConfig(objective=objective, objective_args=args)

    with pytest.raises(ValueError, match="beta_tcvae has no option 'gamma'"):
        config("beta_tcvae", gamma=10.0)
    with pytest.raises(ValueError, match="beta_vae has no option 'lambda_od'"):
        config(lambda_od=10.0)
    with pytest.raises(ValueError, match="no option 'normalized_beta'"):
        config("beta_tcvae", normalized_beta=0.01)
    with pytest.raises(ValueError, match="unknown objective"):
        config("tcvae")
    with pytest.raises(ValueError, match="no option 'capacity_max'"):
        config("factor_vae", capacity_max=25.0)
    with pytest.raises(ValueError, match="dip_vae_ii has no option 'beta'"):
        config("dip_vae_ii", beta=8.0)
    with pytest.raises(ValueError, match="gamma"):
        config("factor_vae", gamma=-2.0)
    with pytest.raises(ValueError, match="gamma must be float; got 'x'"):
        config("factor_vae", gamma="x")
    with pytest.raises(ValueError, match="discriminator_layers must be int"):
        config("factor_vae", discriminator_layers=2.5)
    with pytest.raises(ValueError, match="give beta or normalized_beta"):
        config(beta=2.0, normalized_beta=0.01)


def test_training_run_records_the_objective(blob_images, tmp_path):
    config = TrainConfig(
        output_dir=str(tmp_path / "run"),
        objective="dip_vae_ii",
        objective_args={"lambda_od": 2.0},
        latent_dim=2,
        batch_size=8,
        epochs=1,
        steps_per_epoch=2,
    )
    model, history = train(config, data=blob_images(16, size=16), verbose=0)
    assert "dip_diagonal" in history.history
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["objective"] == "dip_vae_ii"
    assert saved["objective_args"] == {"lambda_od": 2.0}


def test_cli_trains_a_factor_vae(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(
        [
            "train",
            "--output-dir",
            str(out),
            "--objective",
            "factor_vae",
            "--gamma",
            "20",
            "--architecture",
            "higgins",
            "--latent-dim",
            "2",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--batch-size",
            "8",
            "--verbose",
            "0",
        ]
    )
    assert code == 0, capsys.readouterr().err
    loaded = keras.models.load_model(out / "model.keras")
    assert loaded.objective.gamma == 20.0
    assert get_objective(loaded.objective).discriminator is not None
    history = (out / "history.csv").read_text().splitlines()[0]
    assert "discriminator_accuracy" in history
