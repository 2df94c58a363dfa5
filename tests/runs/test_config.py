import dataclasses
import json

import numpy as np
import pytest

from keras_bvae.runs.config import TrainConfig


def test_from_dict_reads_back_a_saved_config_and_ignores_other_keys(tmp_path):
    config = TrainConfig(
        output_dir=str(tmp_path), capacity_max=25.0, capacity_steps=1000
    )
    saved = {**dataclasses.asdict(config), "model": {"latent_dim": 10}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(saved))
    assert TrainConfig.from_dict(json.loads(path.read_text())) == config
    assert TrainConfig.from_dict({"verbose": 2}) == TrainConfig()


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
