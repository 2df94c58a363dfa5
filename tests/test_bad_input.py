"""Bad input everywhere a user hands us data: each gets a clear error.

One table per edge (model, fit and inference; metrics and data; callbacks;
CLI flags; files); each row is a bad input and the message it must give.
"""

import dataclasses
import json
import os
import re
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import blob_images as make_blobs

import keras_bvae
from keras_bvae import cli
from keras_bvae import disentanglement as dis
from keras_bvae.callbacks import (
    DisentanglementCallback,
    LatentTraversalCallback,
    TrainingBackup,
)
from keras_bvae.datasets import (
    DSpritesSimulator,
    check_factors,
    get_data,
    make_dataset,
)
from keras_bvae.model import BetaVAE
from keras_bvae.runs.training import TrainConfig, train

SHAPE = (16, 16, 1)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    model = BetaVAE(latent_dim=2, image_shape=SHAPE, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def images(**changes):
    x = make_blobs(8, size=16)
    for index, value in changes.get("set", {}).items():
        x[index] = value
    return x


NAN = images(set={(1, 2, 3, 0): np.nan})
# (name, call on the fixture model, message regex)
MODEL_CASES = [
    (
        "latent_dim 0",
        lambda m: BetaVAE(latent_dim=0),
        r"latent_dim must be an integer >= 1; got 0",
    ),
    (
        "unknown architecture",
        lambda m: BetaVAE(architecture="resnet"),
        r"unknown architecture 'resnet'",
    ),
    (
        "negative beta",
        lambda m: BetaVAE(beta=-1.0),
        r"beta must be finite and >= 0; got -1.0",
    ),
    (
        "unknown likelihood",
        lambda m: BetaVAE(likelihood="poisson"),
        r"unknown likelihood 'poisson'",
    ),
    (
        "fit wrong image size",
        lambda m: m.fit(np.zeros((4, 32, 32, 1))),
        r"images must have shape \(B, 16, 16, 1\); got \(4, 32, 32, 1\)",
    ),
    ("fit wrong rank", lambda m: m.fit(np.zeros((4, 16, 16))), r"rank 4"),
    (
        "fit strings",
        lambda m: m.fit(np.full((2, 16, 16, 1), "a")),
        r"images must be numeric",
    ),
    (
        "fit out of [0, 1]",
        lambda m: m.fit(images() * 255),
        r"must lie in \[0, 1\] .*got 255.0",
    ),
    (
        "fit NaN",
        lambda m: m.fit(NAN),
        r"images contain nan at index \(1, 2, 3, 0\)",
    ),
    ("fit empty", lambda m: m.fit(np.zeros((0, *SHAPE))), r"empty batch"),
    (
        "fit dataset of wrong shape",
        lambda m: m.fit(tf.data.Dataset.from_tensors(np.zeros((2, 8, 8, 1)))),
        r"the dataset yields images of shape",
    ),
    ("evaluate NaN", lambda m: m.evaluate(NAN), r"images contain nan"),
    (
        "encode one image",
        lambda m: m.encode(np.zeros(SHAPE)),
        r"add a batch axis",
    ),
    (
        "decode wrong latent size",
        lambda m: m.decode(np.zeros((2, 5))),
        r"latents must have shape \(B, 2\); got \(2, 5\)",
    ),
    (
        "decode inf",
        lambda m: m.decode(np.full((1, 2), np.inf)),
        r"latents must be finite",
    ),
    (
        "traverse latent out of range",
        lambda m: m.traverse(latents=np.zeros((1, 2)), dims=[2]),
        r"latent dimension 2 is out of range \[0, 2\)",
    ),
    ("sample 0", lambda m: m.sample(0), r"num must be >= 1; got 0"),
]


@pytest.mark.parametrize(
    "call, message",
    [c[1:] for c in MODEL_CASES],
    ids=[c[0] for c in MODEL_CASES],
)
def test_model_inputs(model, call, message):
    with pytest.raises(ValueError, match=message):
        call(model)


def test_nan_inside_a_dataset_fails_at_the_batch(model):
    data = tf.data.Dataset.from_tensors(NAN.astype(np.float32))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="images must be finite"
    ):
        model.fit(data, verbose=0)


SIM = DSpritesSimulator()
DATA_CASES = [
    (
        "unknown metric",
        lambda: dis.evaluate(SIM, lambda x: x[:, :2, 0, 0], ["higgins"]),
        r"unknown metric 'higgins'",
    ),
    (
        "unknown protocol",
        lambda: dis.evaluate(
            SIM, lambda x: x[:, :2, 0, 0], ["mig"], protocol="fast"
        ),
        r"unknown protocol 'fast'",
    ),
    (
        "representation with NaN",
        lambda: dis.mig(
            SIM, lambda x: np.full((len(x), 2), np.nan), num_train=20
        ),
        r"representation_fn returned a non-finite value nan",
    ),
    (
        "representation of wrong length",
        lambda: dis.mig(SIM, lambda x: np.zeros((3, 2)), num_train=20),
        r"shape \(n, D\) .*got shape \(3, 2\) for n=20",
    ),
    (
        "factor class out of range",
        lambda: check_factors([[0, 0, 0, 0, 32]], SIM.factor_sizes),
        r"factor 4 has class 32 at row 0; it must lie in \[0, 32\)",
    ),
    (
        "simulator factors out of range",
        lambda: SIM.sample_observations_from_factors([[3, 0, 0, 0, 0]]),
        r"class 3 .*\[0, 3\)",
    ),
    ("unknown data name", lambda: get_data("mnist"), r"unknown data 'mnist'"),
    (
        "empty training array",
        lambda: make_dataset(np.zeros((0, *SHAPE)), 4, seed=0),
        r"non-empty array",
    ),
]


@pytest.mark.parametrize(
    "call, message",
    [c[1:] for c in DATA_CASES],
    ids=[c[0] for c in DATA_CASES],
)
def test_metric_and_data_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


CALLBACK_CASES = [
    (
        "traversal every 0 epochs",
        lambda: LatentTraversalCallback(images(), "out", every_n_epochs=0),
        r"every_n_epochs must be >= 1; got 0",
    ),
    (
        "traversal without output",
        lambda: LatentTraversalCallback(images()),
        r"give output_dir, tensorboard_dir, or both",
    ),
    (
        "disentanglement unknown metric",
        lambda: DisentanglementCallback(SIM, metrics=["higgins"]),
        r"unknown metric 'higgins'",
    ),
    (
        "backup every 0 steps",
        lambda: TrainingBackup("b", save_freq=0),
        r"save_freq must be an integer >= 1; got 0",
    ),
    (
        "backup without folder",
        lambda: TrainingBackup(""),
        r"backup_dir must be a non-empty path",
    ),
]


@pytest.mark.parametrize(
    "call, message",
    [c[1:] for c in CALLBACK_CASES],
    ids=[c[0] for c in CALLBACK_CASES],
)
def test_callback_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


CLI_CASES = [
    (["--epochs", "0"], r"epochs must be an integer >= 1; got 0"),
    (["--beta", "-1"], r"beta must be finite and >= 0; got -1.0"),
    (["--beta", "nan"], r"beta must be finite and >= 0; got nan"),
    (["--normalized-beta", "-0.5"], r"normalized_beta must be finite"),
    (["--latent-dim", "0"], r"latent_dim must be an integer >= 1; got 0"),
    (["--batch-size", "-8"], r"batch_size must be an integer >= 1"),
    (["--steps-per-epoch", "0"], r"steps_per_epoch must be an integer"),
    (["--learning-rate", "0"], r"learning_rate must be finite and > 0"),
    (["--capacity-max", "-1"], r"capacity_max must be finite and >= 0"),
    (
        ["--capacity-max", "5", "--capacity-steps", "0"],
        r"num_steps must be an integer >= 1",
    ),
    (["--capacity-steps", "5"], r"beta_vae has no option 'num_steps'"),
    (["--backup-every", "0"], r"backup_every must be an integer >= 1"),
    (["--seed", "-1"], r"seed must be an integer >= 0; got -1"),
    (["--data", "mnist"], r"unknown data 'mnist'"),
]


@pytest.mark.parametrize(
    "flags, message", CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES]
)
def test_cli_train_flags(tmp_path, capsys, flags, message):
    code = cli.main(["train", "--out", str(tmp_path / "run"), *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("keras-bvae train: error: ")
    assert re.search(message, err), err
    assert not os.path.exists(tmp_path / "run" / "model.keras")


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--architecture", "resnet"], "invalid choice: 'resnet'"),
        (["--epochs", "two"], "invalid int value: 'two'"),
        (["--beta", "1", "--normalized-beta", "0.1"], "not allowed with"),
    ],
)
def test_cli_flags_argparse_rejects(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) as caught:
        cli.main(["train", "--out", str(tmp_path), *flags])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def write_corrupt(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{not json")


FILE_CASES = [
    (
        "missing file",
        lambda d: keras_bvae.load(str(d / "none.keras")),
        FileNotFoundError,
        r"no model file at .*none.keras",
    ),
    (
        "folder without model",
        lambda d: keras_bvae.load(str(d)),
        FileNotFoundError,
        r"is a folder without model.keras",
    ),
    (
        "corrupt zip",
        lambda d: (
            write_corrupt(d / "bad.keras"),
            keras_bvae.load(str(d / "bad.keras")),
        ),
        ValueError,
        r"could not load a Keras model from .*bad.keras",
    ),
    (
        "not a zip",
        lambda d: (
            (d / "text.keras").write_text("hello"),
            keras_bvae.load(str(d / "text.keras")),
        ),
        ValueError,
        r"text.keras is not a whole \.keras file \(a \.keras file is a zip",
    ),
]


@pytest.mark.parametrize(
    "call, error, message",
    [c[1:] for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
)
def test_model_files(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(tmp_path)


def test_cli_reports_missing_model_file(tmp_path, capsys):
    code = cli.main(["traverse", str(tmp_path / "none.keras")])
    assert code == 2
    assert "no model file at" in capsys.readouterr().err


def test_resume_with_other_settings_is_refused(blob_images, tmp_path):
    run = tmp_path / "run"
    (run / "backup").mkdir(parents=True)
    settings = dict(
        output_dir=str(run),
        latent_dim=2,
        batch_size=8,
        epochs=1,
        steps_per_epoch=2,
    )
    # A previous run's folder: its config and a backup.
    first = TrainConfig(**settings)
    (run / "config.json").write_text(json.dumps(dataclasses.asdict(first)))
    (run / "backup" / "step-000000001.weights.h5").write_text("")
    (run / "backup" / "state.json").write_text(
        json.dumps({"step": 1, "weights": "step-000000001.weights.h5"})
    )
    changed = TrainConfig(**{**settings, "latent_dim": 3})
    with pytest.raises(ValueError, match=r"latent_dim: 2 -> 3.*--fresh"):
        train(changed, data=blob_images(8, size=16), verbose=0)
    # --fresh discards the backup and trains from scratch.
    train(changed, data=blob_images(8, size=16), verbose=0, fresh=True)
    assert (run / "model.keras").exists()
    leftovers = [p for p in os.listdir(run) if "tmp" in p]
    assert leftovers == []
