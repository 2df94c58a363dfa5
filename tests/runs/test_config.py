import dataclasses
import json
import pathlib

import numpy as np
import pytest

from keras_bvae.runs.config import TrainConfig, build_objective


def test_from_dict_reads_back_a_saved_config_and_ignores_other_keys(tmp_path):
    config = TrainConfig(
        output_dir=str(tmp_path),
        objective="annealed_vae",
        objective_args={"capacity_max": 25.0, "num_steps": 1000},
    )
    saved = {**dataclasses.asdict(config), "model": {"latent_dim": 10}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(saved))
    assert TrainConfig.from_dict(json.loads(path.read_text())) == config
    assert TrainConfig.from_dict({"verbose": 2}) == TrainConfig()


SAVED = pathlib.Path(__file__).parents[2] / "saved_models"


@pytest.mark.parametrize(
    "folder",
    sorted(
        str(p.parent.relative_to(SAVED))
        for p in SAVED.glob("**/config.json")
        if "model" in json.loads(p.read_text())
    ),
)
def test_configs_saved_before_objective_args_read_the_same(folder):
    path = SAVED / folder
    saved = json.loads((path / "config.json").read_text())
    assert "objective_args" not in saved
    config = TrainConfig.from_dict(saved)
    # What the model in the folder was built with (its own config).
    model = saved["model"]
    if model["capacity"]:
        expected = ("annealed_vae", model["capacity"])
    else:
        given = {k: model[k] for k in ("beta", "normalized_beta")}
        expected = ("beta_vae", {k: v for k, v in given.items() if v})
    assert (config.objective, config.objective_args) == expected
    build_objective(config)


def test_default_config_is_the_main_job_and_options_replace_it():
    assert TrainConfig().objective_args == {"beta": 4.0}
    config = TrainConfig(objective_args={"normalized_beta": 0.01})
    assert config.objective_args == {"normalized_beta": 0.01}
    assert TrainConfig(objective="factor_vae").objective_args == {}


def test_from_dict_validates_like_the_constructor():
    with pytest.raises(ValueError, match="latent_dim"):
        TrainConfig.from_dict({"latent_dim": 0})


def test_model_for_run_loads_the_runs_backups(tmp_path):
    from keras_bvae.runs.config import model_for_run

    config = TrainConfig(output_dir=str(tmp_path), latent_dim=3)
    (tmp_path / "config.json").write_text(
        json.dumps(dataclasses.asdict(config))
    )
    saved_config, data, trained = model_for_run(str(tmp_path))
    assert saved_config == config
    assert trained.latent_dim == 3
    trained.optimizer.iterations.assign(1234)
    trained.weights[0].assign(trained.weights[0] + 1.0)
    path = str(tmp_path / "step-000001234.weights.h5")
    trained.save_weights(path)

    _, _, fresh = model_for_run(str(tmp_path))
    fresh.load_weights(path)
    assert int(fresh.optimizer.iterations.numpy()) == 1234
    for a, b in zip(fresh.weights, trained.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "name, cls_name", [("adagrad", "Adagrad"), ("RMSprop", "RMSprop")]
)
def test_optimizer_by_name_gets_the_learning_rate(name, cls_name):
    from keras_bvae.runs.config import build_model

    config = TrainConfig(
        architecture="higgins",
        latent_dim=2,
        optimizer=name,
        learning_rate=1e-2,
    )
    model = build_model(config, (8, 8, 1))
    assert type(model.optimizer).__name__ == cls_name
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-2)


def test_adam_is_the_fused_adam_unless_distributed():
    from keras_bvae.optimizers import FusedAdam
    from keras_bvae.runs.config import build_optimizer

    assert type(build_optimizer("adam", 1e-3)) is FusedAdam
    assert type(build_optimizer("Adam", 1e-3, distributed=True)).__name__ == (
        "Adam"
    )


@pytest.mark.parametrize("name", ["adagrd", "lossscaleoptimizer", 3])
def test_unknown_optimizer_is_refused_by_the_config(name):
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer=name)


def test_a_run_saved_before_objective_args_resumes_with_its_command(
    tmp_path,
):
    from keras_bvae.runs.training import check_resumable

    old = {  # config.json as 0.x wrote it for --normalized-beta 0.03
        **{
            k: v
            for k, v in dataclasses.asdict(TrainConfig()).items()
            if k not in ("objective", "objective_args")
        },
        "objective": None,
        "beta": None,
        "normalized_beta": 0.03,
        "capacity_max": None,
        "capacity_steps": 10000,
        "capacity_gamma": 1000.0,
        "gamma": None,
        "lambda_od": None,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(old))
    same = TrainConfig(objective_args={"normalized_beta": 0.03})
    check_resumable(same, str(path))
    with pytest.raises(ValueError, match="objective_args"):
        check_resumable(TrainConfig(), str(path))


def test_a_run_folder_moved_to_another_path_resumes(tmp_path):
    from keras_bvae.runs.training import check_resumable

    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            dataclasses.asdict(TrainConfig(output_dir="elsewhere/runs/a"))
        )
    )
    check_resumable(TrainConfig(output_dir=str(tmp_path)), str(path))
    with pytest.raises(ValueError, match="seed"):
        check_resumable(
            TrainConfig(output_dir=str(tmp_path), seed=1), str(path)
        )
