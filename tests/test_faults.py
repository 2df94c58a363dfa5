"""Fault injection: what the package writes it reads back in a new process,
and bad inputs, special files and faults end in a clear error, never in a
Python traceback or a signal (issue 34).

One section a kind of fault; docs/reliability.md lists every case with
what the user sees. Round trips and serving run in a fresh interpreter
(``python_child``) that imports only what a user would; a case that could
hang runs under a timeout. Add the next fault found to its section.
Faults of writing (full disk, read-only folder, permissions) and of two
runs on one folder are in tests/test_faults_writes.py.
"""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from support import Squares

from keras_bvae import BetaVAE, cli, load
from keras_bvae.datasets import ImageFolder
from keras_bvae.runs.config import TrainConfig

# Every subprocess gets this long; a hang fails the test instead.
CHILD_TIMEOUT = 300


def python_child(code, *args, cwd=None, timeout=CHILD_TIMEOUT):
    """Runs ``code`` in a new Python process: a CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def cli_child(*args, cwd=None, timeout=CHILD_TIMEOUT):
    """``python -m keras_bvae ARGS`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "keras_bvae", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def assert_clean_exit(result, code):
    """Exit status ``code``, no traceback, and no signal."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


TINY_TRAIN = (
    "--latent-dim",
    "2",
    "--batch-size",
    "4",
    "--epochs",
    "1",
    "--steps-per-epoch",
    "2",
    "--verbose",
    "0",
)
TINY = TrainConfig(
    architecture="higgins",
    latent_dim=2,
    batch_size=8,
    epochs=1,
    steps_per_epoch=2,
)


# == 1. What the package writes, a new process reads =======================


def test_make_run_then_load_quickstart_in_a_new_process(tmp_path):
    # `make run` (tiny), then the README's next step in a new process.
    trained = cli_child(
        "train", "--output-dir", "runs/quickstart", *TINY_TRAIN, cwd=tmp_path
    )
    assert_clean_exit(trained, 0)
    loaded = python_child(
        """
        import keras_bvae
        model = keras_bvae.load("runs/quickstart")
        print(type(model).__name__, type(model.optimizer).__name__,
              int(model.optimizer.iterations))
        """,
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.split() == ["BetaVAE", "FusedAdam", "2"]


def test_every_model_the_workflow_writes_loads_in_a_new_process(tmp_path):
    from keras_bvae.runs import compare, sweep, training, tuning

    # sweep and compare (FactorVAE: a discriminator and its own optimizer;
    # AnnealedVAE: a capacity schedule), each run's model.keras
    sweep.run_sweep(
        sweep.make_grid([2], normalized_betas=[], betas=[4.0]),
        str(tmp_path / "sweep"),
        base_config=TINY,
        data=Squares(),
        metrics=[],
        eval_images=8,
    )
    compare.run_comparison(
        str(tmp_path / "compare"),
        values={"factor_vae": [10.0], "annealed_vae": [5.0]},
        seeds=[0],
        latent_dim=2,
        base_config=TINY,
        data=Squares(),
        metrics=["mig"],
        verbose=0,
        label_samples=200,
    )
    # the tuner's best model, saved as a user would
    hypermodel = tuning.BetaVAEHyperModel(
        Squares(),
        betas=[2.0],
        latent_dims=2,
        architecture="higgins",
        batch_size=8,
        steps_per_epoch=2,
        metrics=["beta_vae"],
        metric_settings={"num_train": 8, "num_eval": 8, "batch_size": 4},
    )
    tuner = tuning.tune(
        hypermodel, epochs=1, directory=str(tmp_path / "tuning")
    )
    tuner.get_best_models(1)[0].save(str(tmp_path / "tuned.keras"))

    # an interrupted run: config.json and the backup, no model.keras
    class Interrupt(training.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:  # after the backup of step 1
                raise KeyboardInterrupt("simulated kill")

    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        training.train(
            dataclasses.replace(
                TINY, output_dir=str(killed), steps_per_epoch=3, backup_every=1
            ),
            callbacks=[Interrupt()],
            data=Squares(),
            verbose=0,
        )
    # Squares is test data: the new process reads the run from the config
    # with the simulator (same image shape) instead.
    config_path = next(killed.rglob("config.json"))
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "data": "dsprites-sim"}))

    models = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("model.keras")
    )
    models.append("tuned.keras")
    assert len(models) == 4, models

    # keras_bvae.load, in a process that imports keras_bvae only
    loaded = python_child(
        """
        import sys
        import keras_bvae
        for path in sys.argv[1:]:
            model = keras_bvae.load(path)
            print(path, type(model).__name__, type(model.optimizer).__name__)
        try:
            keras_bvae.load("killed")
        except FileNotFoundError as error:
            print("killed:", error)
        from keras_bvae.runs.config import model_for_run
        config, data, model = model_for_run("killed")
        import glob
        model.load_weights(glob.glob("killed/backup/step-*.weights.h5")[0])
        print("backup", int(model.optimizer.iterations))
        """,
        *models,
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    lines = loaded.stdout.splitlines()
    assert [line.split()[1] for line in lines[:4]] == ["BetaVAE"] * 4
    assert "training backup" in lines[4]
    assert lines[5] == "backup 1"
    # keras.models.load_model, after `import keras, keras_bvae`
    loaded = python_child(
        """
        import sys
        import keras, keras_bvae
        for path in sys.argv[1:]:
            model = keras.models.load_model(path)
            print(path, type(model).__name__, type(model.optimizer).__name__)
        """,
        *models,
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert [line.split()[1] for line in loaded.stdout.splitlines()] == [
        "BetaVAE"
    ] * 4


# == 2. Serving: exported signatures refuse bad tensors =====================

SERVE_BAD_TENSORS = """
import json, sys
import tensorflow as tf
served = tf.saved_model.load(sys.argv[1])
sig = served.signatures
cases = {
    "unbatched image": ("encode", "images", tf.zeros((16, 16, 1))),
    "rank-5 images": ("reconstruct", "images", tf.zeros((1, 2, 16, 16, 1))),
    "wrong image size": ("encode", "images", tf.zeros((2, 8, 8, 1))),
    "wrong channels": ("serving_default", "images", tf.zeros((2, 16, 16, 3))),
    "empty batch": ("encode", "images", tf.zeros((0, 16, 16, 1))),
    "float64 images": ("encode", "images", tf.zeros((2, 16, 16, 1), "float64")),
    "uint8 images": ("encode", "images", tf.zeros((2, 16, 16, 1), "uint8")),
    "unbatched latents": ("decode", "latents", tf.zeros((3,))),
    "wrong latent size": ("decode", "latents", tf.zeros((2, 5))),
    "rank-3 latents": ("decode", "latents", tf.zeros((1, 2, 3))),
}
result = {}
for name, (signature, key, value) in cases.items():
    try:
        sig[signature](**{key: value})
        result[name] = "accepted"
    except tf.errors.InvalidArgumentError as error:
        result[name] = " ".join(error.message.split())
good = sig["encode"](images=tf.zeros((2, 16, 16, 1)))["mean"].shape
result["good"] = list(good)
print(json.dumps(result))
"""


def test_exported_signatures_refuse_bad_tensors_without_aborting(tmp_path):
    from keras_bvae.export import export_saved_model

    model = BetaVAE(latent_dim=3, image_shape=(16, 16, 1), seed=0)
    export_saved_model(model, tmp_path / "export")
    served = python_child(SERVE_BAD_TENSORS, tmp_path / "export")
    # A CHECK failure inside a kernel would end the process (SIGABRT).
    assert served.returncode == 0, served.stderr[-3000:]
    result = json.loads(served.stdout.splitlines()[-1])
    assert result.pop("good") == [2, 3]
    assert "accepted" not in result.values(), result
    for name in ("unbatched image", "rank-5 images", "empty batch"):
        assert (
            "images must have shape (B, 16, 16, 1) with B >= 1"
            in (result[name])
        ), result
    for name in ("wrong image size", "wrong channels"):
        assert "images must have shape (B, 16, 16, 1)" in result[name]
    for name in ("float64 images", "uint8 images"):
        assert "expected to be a float tensor" in result[name]
    for name in ("unbatched latents", "wrong latent size", "rank-3 latents"):
        assert "latents must have shape (B, 3) with B >= 1" in result[name]


# == 3. Data sources read regular files only ================================


def png_folder(path, num=4, size=16):
    os.makedirs(path, exist_ok=True)
    for i in range(num):
        image = np.full((size, size, 1), 40 * i, np.uint8)
        tf.io.write_file(str(path / f"{i}.png"), tf.io.encode_png(image))
    return path


FIFO_CHILD = """
import sys
from keras_bvae import cli
from keras_bvae.datasets import ImageFolder
folder, out = sys.argv[1:3]
try:
    ImageFolder(folder, image_size=16, channels=1)
except ValueError as error:
    print("ImageFolder:", error)
sys.exit(cli.main(["train", "--data", "folder:" + folder, "--image-size",
    "16", "--channels", "1", "--output-dir", out, *sys.argv[3:]]))
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_png_is_refused_not_read(tmp_path):
    folder = png_folder(tmp_path / "images")
    os.mkfifo(folder / "pipe.png")  # reading it would wait forever
    # In a new process, so that a hang fails the test (timeout) instead of
    # stalling the suite: ImageFolder, then `train --data folder:`.
    result = python_child(
        FIFO_CHILD, folder, tmp_path / "run", *TINY_TRAIN, timeout=120
    )
    assert_clean_exit(result, 2)
    message = f"{folder / 'pipe.png'} is not a regular file"
    assert f"ImageFolder: {message}" in result.stdout
    assert f"keras-bvae train: error: {message}" in result.stderr


# == 4. Files that are not the package's models =============================


@pytest.fixture(scope="module")
def plain_keras_file(tmp_path_factory):
    import keras

    path = tmp_path_factory.mktemp("plain") / "plain.keras"
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(path)
    return path


def test_load_refuses_a_model_that_is_not_a_beta_vae(plain_keras_file):
    with pytest.raises(ValueError, match="holds a Sequential, not a keras_b"):
        load(plain_keras_file)


@pytest.mark.parametrize("command", ["evaluate", "traverse", "export"])
def test_commands_refuse_a_plain_keras_file(
    command, plain_keras_file, tmp_path, capsys
):
    out = tmp_path / "out"
    extra = {"evaluate": [], "traverse": ["--output-dir", out]}.get(
        command, [out]
    )
    code = cli.main([command, str(plain_keras_file), *map(str, extra)])
    assert code == 2
    err = capsys.readouterr().err
    assert "holds a Sequential, not a keras_bvae BetaVAE" in err
    assert not out.exists()  # no empty output folder left behind


def test_a_truncated_keras_file_is_reported_as_truncated(tmp_path, capsys):
    model = BetaVAE(latent_dim=2, image_shape=(16, 16, 1), seed=0)
    model.save(tmp_path / "model.keras")
    whole = (tmp_path / "model.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(whole[: len(whole) // 2])
    code = cli.main(["evaluate", str(tmp_path / "cut.keras")])
    assert code == 2
    err = capsys.readouterr().err
    assert "is not a whole .keras file" in err and "truncated" in err
    assert "File not found" not in err


# == 5. Sizes the package cannot serve ======================================


def test_a_huge_latent_size_is_refused_up_front(tmp_path):
    with pytest.raises(ValueError, match="at most 256; got 257"):
        BetaVAE(latent_dim=257)
    # Before: minutes without progress while memory grew to the machine's
    # 24 GB, then the kernel's OOM kill. Now: refused before any data or
    # model is made.
    result = cli_child(
        "train",
        "--latent-dim",
        "10000",
        "--output-dir",
        tmp_path / "run",
        "--verbose",
        "0",
        timeout=120,
    )
    assert_clean_exit(result, 2)
    assert "latent_dim must be at most 256; got 10000" in result.stderr
    assert not (tmp_path / "run").exists()


# == 6. Images that decode with help ========================================


def test_a_cmyk_jpeg_is_decoded_to_grey_and_colour(tmp_path):
    from PIL import Image

    folder = tmp_path / "cmyk"
    folder.mkdir()
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[4:12, 4:12] = (200, 40, 40)
    Image.fromarray(rgb).convert("CMYK").save(folder / "a.jpg", quality=95)
    grey = ImageFolder(folder, image_size=16, channels=1).images()
    colour = ImageFolder(folder, image_size=16, channels=3).images()
    assert grey.shape == (1, 16, 16, 1) and colour.shape == (1, 16, 16, 3)
    # the red square, not black and not white
    assert abs(colour[0, 8, 8, 0] - 200 / 255) < 0.1
    assert abs(colour[0, 8, 8, 1] - 40 / 255) < 0.1
    assert 0.2 < grey[0, 8, 8, 0] < 0.5 and grey[0, 0, 0, 0] < 0.05


# == 7. A resumed run says so ===============================================


def test_a_resumed_run_says_from_which_step(tmp_path, capsys):
    from keras_bvae.runs import training

    class Interrupt(training.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt("simulated kill")

    config = dataclasses.replace(
        TINY,
        steps_per_epoch=3,
        backup_every=1,
        output_dir=str(tmp_path / "run"),
    )
    with pytest.raises(KeyboardInterrupt):
        training.train(config, [Interrupt()], verbose=0, data=Squares())
    capsys.readouterr()
    training.train(config, verbose=2, data=Squares())
    assert "resumed at step 1 of 3" in capsys.readouterr().out
