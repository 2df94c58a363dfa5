"""``keras-bvae train`` on the user's images: --data folder:PATH with
--image-size and --channels trains, saves, reloads, resumes and exports."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import BetaVAE, cli, load
from keras_bvae.datasets import ImageFolder
from keras_bvae.runs.config import TrainConfig
from keras_bvae.runs.training import check_resumable


def colour_folder(path, num=12):
    """RGB 24x24 PNGs of a coloured square on black, in two subfolders."""
    rng = np.random.default_rng(0)
    for i in range(num):
        image = np.zeros((24, 24, 3), np.uint8)
        top, left = rng.integers(0, 14, 2)
        image[top : top + 10, left : left + 10] = rng.integers(0, 256, 3)
        folder = path / f"part{i % 2}"
        os.makedirs(folder, exist_ok=True)
        tf.io.write_file(str(folder / f"{i:02d}.png"), tf.io.encode_png(image))
    return path


def train_args(folder, out, *extra):
    return [
        "train",
        "--data",
        f"folder:{folder}",
        "--image-size",
        "16",
        "--channels",
        "3",
        "--out",
        str(out),
        "--latent-dim",
        "2",
        "--batch-size",
        "4",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "3",
        "--verbose",
        "0",
        *extra,
    ]


def test_trains_saves_loads_and_exports_an_image_folder(tmp_path, capsys):
    folder = colour_folder(tmp_path / "images")
    out = tmp_path / "run"
    assert cli.main(train_args(folder, out)) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["data"] == f"folder:{folder}"
    assert (config["image_size"], config["channels"]) == (16, 3)
    assert config["model"]["image_shape"] == [16, 16, 3]
    model = load(str(out / "model.keras"))
    assert isinstance(model, BetaVAE)
    images = ImageFolder(folder, image_size=16, channels=3).images()
    assert model.encode(images).shape == (12, 2)
    assert model.reconstruct(images[:2]).shape == (2, 16, 16, 3)
    assert os.path.isfile(out / "traversals.png")
    assert cli.main(["export", str(out / "model.keras")]) == 0
    served = tf.saved_model.load(str(out / "savedmodel"))
    np.testing.assert_allclose(
        served.signatures["encode"](images=tf.constant(images[:3]))["mean"],
        model.encode(images[:3]),
        rtol=1e-5,
        atol=1e-5,
    )
    # Scoring the unlabelled folder with supervised metrics: a clear error.
    code = cli.main(
        ["evaluate", str(out / "model.keras"), "--data", f"folder:{folder}"]
    )
    assert code == 2
    assert "no ground-truth factors" in capsys.readouterr().err
    # The label-free metric takes the model's own image shape by default.
    code = cli.main(
        [
            "evaluate",
            str(out / "model.keras"),
            "--data",
            f"folder:{folder}",
            "--metrics",
            "unsupervised",
            "--protocol",
            "quick",
            "--output",
            "-",
        ]
    )
    assert code == 0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--image-size", "48"], "one of 16, 32, 64, 128, 256"),
        (["--data", "dsprites-sim", "--channels", "3"], "does not take"),
        (["--data", "folder:"], "lacks its PATH"),
        (["--data", "pngs"], "folder:PATH"),
    ],
)
def test_bad_data_options_are_reported(tmp_path, capsys, extra, message):
    args = train_args(tmp_path, tmp_path / "run") + extra
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_config_keeps_the_image_options_for_resume(tmp_path):
    config = TrainConfig(
        output_dir=str(tmp_path),
        data="folder:x",
        image_size=32,
        channels=1,
    )
    path = tmp_path / "config.json"
    path.write_text(json.dumps(dataclasses.asdict(config)))
    check_resumable(config, str(path))
    with pytest.raises(ValueError, match="image_size: 32 -> 64"):
        check_resumable(dataclasses.replace(config, image_size=64), str(path))
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        TrainConfig(data="folder:x", channels=2)
    with pytest.raises(ValueError, match="4 times a power of two"):
        TrainConfig(data="folder:x", image_size=100)
    TrainConfig(data="folder:x", image_size=100, architecture="higgins")


def test_colour_dsprites_trains_exports_and_scores(tmp_path, capsys):
    out = tmp_path / "colour"
    args = ["train", "--data", "dsprites-color-sim", "--out", str(out)]
    args += ["--architecture", "higgins", "--latent-dim", "3"]
    args += ["--epochs", "1", "--steps-per-epoch", "3", "--verbose", "0"]
    assert cli.main(args) == 0
    model = load(str(out / "model.keras"))
    assert model.image_shape == (64, 64, 3)
    assert cli.main(["export", str(out / "model.keras")]) == 0
    assert tf.saved_model.load(str(out / "savedmodel")).signatures["encode"]
    code = cli.main(
        [
            "evaluate",
            str(out / "model.keras"),
            "--data",
            "dsprites-color-sim",
            "--metrics",
            "mig",
            "--protocol",
            "quick",
        ]
    )
    assert code == 0, capsys.readouterr().err
    scores = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= scores["scores"]["mig"]["mig"] <= 1.0


def test_optimizer_option_is_saved_with_the_model(tmp_path):
    folder = colour_folder(tmp_path / "images")
    out = tmp_path / "run"
    args = train_args(
        folder, out, "--optimizer", "adagrad", "--learning-rate", "0.01"
    )
    assert cli.main(args) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["optimizer"], config["learning_rate"]) == ("adagrad", 0.01)
    # Loaded as a user would, in a new process that imports keras_bvae only.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, keras_bvae\n"
            "opt = keras_bvae.load(sys.argv[1]).optimizer\n"
            "print(type(opt).__name__, round(float(opt.learning_rate), 6),"
            " int(opt.iterations))",
            str(out / "model.keras"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == ["Adagrad", "0.01", "3"]


def test_unknown_optimizer_exits_2(tmp_path, capsys):
    folder = colour_folder(tmp_path / "images")
    args = train_args(folder, tmp_path / "run", "--optimizer", "adagrd")
    assert cli.main(args) == 2
    assert "unknown optimizer 'adagrd'" in capsys.readouterr().err
