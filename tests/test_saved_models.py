"""The committed trained models: their files, and scores that reproduce.

``saved_models/NAME/metrics.json`` holds every metric under the full
protocol; ``metrics_quick.json`` the Higgins score and MIG under the quick
protocol, which this test recomputes with ``python -m keras_bvae evaluate``
(in-process) and compares exactly, since scores are deterministic for a seed.
The quick numbers must also lie within QUICK_VS_FULL of the full-protocol
ones: 0.05 absolute for the Higgins accuracy and for MIG.
"""

import json
import os

import pytest

from keras_bvae import cli, load

ROOT = os.path.join(os.path.dirname(__file__), "..", "saved_models")
MODELS = ("beta_vae_b4", "vae_b1")
QUICK_VS_FULL = 0.05
FILES = (
    "model.keras",
    "savedmodel/saved_model.pb",
    "savedmodel/keras_bvae_config.json",
    "metrics.json",
    "metrics_quick.json",
    "history.csv",
    "traversals.png",
    "reconstructions.png",
    "timing.txt",
)


def read_scores(path):
    with open(path) as handle:
        scores = json.load(handle)["scores"]
    return {
        "beta_vae": scores["beta_vae"]["eval_accuracy"],
        "mig": scores["mig"]["mig"],
    }


@pytest.mark.parametrize("name", MODELS)
def test_model_folder_is_complete(name):
    folder = os.path.join(ROOT, name)
    missing = [f for f in FILES if not os.path.exists(os.path.join(folder, f))]
    assert not missing, missing
    model = load(folder)
    assert model.latent_dim == 10 and model.architecture == "burgess"
    for weight in ("model.keras",):
        size = os.path.getsize(os.path.join(folder, weight))
        assert size < 20 * 2**20


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_committed_scores_reproduce(name, tmp_path, capsys):
    folder = os.path.join(ROOT, name)
    out = tmp_path / "metrics_quick.json"
    status = cli.main([
        "evaluate", folder, "--protocol", "quick",
        "--metrics", "beta_vae,mig", "--seed", "0", "--output", str(out),
    ])
    assert status == 0
    capsys.readouterr()
    fresh = read_scores(out)
    committed_quick = read_scores(os.path.join(folder, "metrics_quick.json"))
    committed_full = read_scores(os.path.join(folder, "metrics.json"))
    for key in fresh:
        assert fresh[key] == pytest.approx(committed_quick[key], abs=1e-9)
        assert abs(fresh[key] - committed_full[key]) <= QUICK_VS_FULL, (
            key, fresh[key], committed_full[key]
        )

