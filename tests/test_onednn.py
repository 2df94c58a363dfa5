"""prefer_onednn_kernels: TensorFlow's oneDNN kernels on every x86 CPU."""

import os
import platform
import subprocess
import sys

import pytest

from keras_bvae import onednn
from keras_bvae.onednn import prefer_onednn_kernels

X86 = platform.machine().lower() in onednn._X86

# Runs one convolution with oneDNN's verbose report on stdout, after the
# call (or without it), as a user's program would.
CONVOLVE = """
import sys
import keras_bvae
if sys.argv[1] == "call":
    keras_bvae.prefer_onednn_kernels()
import tensorflow as tf
tf.nn.conv2d(tf.ones((2, 16, 16, 8)), tf.ones((4, 4, 8, 8)), 2, "SAME")
"""


def convolution_report(*args: str, **env: str) -> str:
    environ = {
        k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"
    }
    environ.update(ONEDNN_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="2", **env)
    done = subprocess.run(
        [sys.executable, "-c", CONVOLVE, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def oneDNN_convolution_ran(stdout: str) -> bool:
    return any(
        line.startswith("onednn_verbose") and ",convolution," in line
        for line in stdout.splitlines()
    )


@pytest.mark.skipif(not X86, reason="the call acts on x86 CPUs only")
def test_called_before_tensorflow_its_convolutions_run_in_onednn():
    assert oneDNN_convolution_ran(convolution_report("call"))


@pytest.mark.skipif(not X86, reason="the call acts on x86 CPUs only")
def test_a_value_the_user_set_is_kept():
    # TF_ENABLE_ONEDNN_OPTS=0 turns oneDNN's operations off on every CPU.
    report = convolution_report("call", TF_ENABLE_ONEDNN_OPTS="0")
    assert not oneDNN_convolution_ran(report)


def test_sets_the_variable_only_where_it_is_unset_on_x86():
    environ = {}
    assert prefer_onednn_kernels(environ, machine="x86_64") is True
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}
    environ = {"TF_ENABLE_ONEDNN_OPTS": "0"}
    assert prefer_onednn_kernels(environ, machine="AMD64") is False
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    environ = {}
    assert prefer_onednn_kernels(environ, machine="aarch64") is False
    assert environ == {}


def test_after_tensorflow_is_imported_it_warns_and_changes_nothing(
    monkeypatch,
):
    import tensorflow  # noqa: F401  (the suite has it loaded already)

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    with pytest.warns(UserWarning, match="before importing TensorFlow"):
        assert prefer_onednn_kernels(machine="x86_64") is False
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ
