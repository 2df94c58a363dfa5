"""The command line keeps TensorFlow's start-up lines out of its output.

TensorFlow 2.21 prints, on a machine without a GPU, lines such as

    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine
    E0000 ... cuda_platform.cc:52] failed call to cuInit: ...
    I0000 ... port.cc:153] oneDNN custom operations are on. ...

whatever TF_CPP_MIN_LOG_LEVEL says. ``python -m keras_bvae`` hides them
unless ``--verbose`` comes before the command. The commands run in fresh
processes, as a user runs them, without TF_CPP_MIN_LOG_LEVEL set.
"""

import os
import re
import subprocess
import sys

import pytest

from keras_bvae import cli

# Any line of TensorFlow's C++ logging (absl/glog prefix) or its
# pre-initialisation banner.
TF_LOG_LINE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]"
    r"|^WARNING: All log messages before absl::InitializeLog",
    re.MULTILINE,
)


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL")
    }
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_only_a_leading_verbose_asks_for_tensorflow_logs():
    assert cli._wants_verbose(["--verbose", "train"])
    # train's own --verbose (Keras progress) is not the global flag.
    assert not cli._wants_verbose(["train", "--verbose", "2"])
    assert not cli._wants_verbose(["evaluate", "m.keras"])


def test_held_back_output_keeps_everything_but_the_noise(capfd):
    with cli._stderr_without(cli.TF_STARTUP_NOISE):
        os.write(
            2,
            b"I0000 00:00:1.5 1 cudart_stub.cc:31] Could not find cuda "
            b"drivers on your machine, GPU will not be used.\n",
        )
        os.write(2, b"E0000 00:00:1.5 1 op.cc:9] a real error\n")
        print("from python", file=sys.stderr)
    err = capfd.readouterr().err
    assert "cudart_stub" not in err
    assert "a real error" in err and "from python" in err


@pytest.mark.slow
def test_help_prints_no_tensorflow_startup_lines():
    done = run("-m", "keras_bvae", "train", "--help")
    assert done.returncode == 0, done.stderr
    assert "--latent-dim" in done.stdout
    assert not TF_LOG_LINE.search(done.stderr), done.stderr


@pytest.mark.slow
def test_training_prints_no_tensorflow_startup_lines(tmp_path):
    done = run(
        "-m", "keras_bvae", "train", "--out", str(tmp_path / "run"),
        "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8",
        "--latent-dim", "2", "--verbose", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "model.keras").exists()
    assert not TF_LOG_LINE.search(done.stderr), done.stderr


@pytest.mark.slow
def test_verbose_shows_tensorflow_startup_lines():
    plain = run("-c", "import tensorflow")
    if not TF_LOG_LINE.search(plain.stderr):
        pytest.skip("TensorFlow prints no start-up lines on this machine")
    done = run("-m", "keras_bvae", "--verbose", "train", "--help")
    assert done.returncode == 0, done.stderr
    assert TF_LOG_LINE.search(done.stderr), done.stderr
