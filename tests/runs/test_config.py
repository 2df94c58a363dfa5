import dataclasses
import json

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
