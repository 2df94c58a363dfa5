"""Shared fixtures: tiny binary image batches, one small model factory and
objective inputs. Tests use them as fixtures; only scripts that tests run
in a child process import ``support`` directly."""

import os

from keras_bvae.onednn import prefer_onednn_kernels

# Under pytest-xdist each worker gets its share of the cores for TensorFlow's
# kernels (read when TensorFlow starts, so set before it is imported; child
# processes inherit it): two workers each using every core oversubscribe
# them (two quick evaluations side by side: 135 s each, 121 s with one
# thread each, on a 2-core AVX2 EPYC).
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    _share = max(1, (os.cpu_count() or 1) // _workers)
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(_share))

# The suite runs TensorFlow as the command line does: with its oneDNN
# kernels also on CPUs where TensorFlow leaves them off (AVX2 only).
prefer_onednn_kernels()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from support import blob_images as _blob_images  # noqa: E402

from keras_bvae import BetaVAE  # noqa: E402
from keras_bvae.objectives import ObjectiveInputs  # noqa: E402


@pytest.fixture(scope="session")
def blob_images():
    """``blob_images(num, seed=0, size=64)``: binary squares."""
    return _blob_images


@pytest.fixture
def images():
    return _blob_images(32)


@pytest.fixture(scope="session")
def small_model():
    """``small_model(**kwargs)``: a BetaVAE with 3 latents, seed 0, its
    weights seeded, compiled with Adam 1e-3 (``optimizer=None``: not
    compiled); other keyword arguments go to ``BetaVAE``."""

    def make(optimizer="adam", **kwargs):
        kwargs.setdefault("latent_dim", 3)
        kwargs.setdefault("seed", 0)
        keras.utils.set_random_seed(kwargs["seed"] or 0)
        model = BetaVAE(**kwargs)
        if optimizer == "adam":
            optimizer = keras.optimizers.Adam(1e-3)
        if optimizer is not None:
            model.compile(optimizer=optimizer)
        return model

    return make


@pytest.fixture(scope="session")
def objective_inputs():
    """``objective_inputs(step=0, batch=4, latents=3)``: fixed
    ``ObjectiveInputs`` with a known distortion and rate."""

    def make(step: int = 0, batch: int = 4, latents: int = 3):
        rng = np.random.default_rng(0)
        mean = rng.normal(size=(batch, latents)).astype(np.float32)
        logvar = rng.normal(size=(batch, latents)).astype(np.float32)
        z = mean + np.exp(0.5 * logvar) * rng.normal(size=mean.shape)
        kl = 0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar)
        kl_per_dim = kl.mean(axis=0).astype(np.float32)
        return ObjectiveInputs(
            images=tf.zeros((batch, 4, 4, 1)),
            mean=tf.constant(mean),
            logvar=tf.constant(logvar),
            z=tf.constant(z.astype(np.float32)),
            distortion=tf.constant(123.5),
            rate=tf.constant(float(kl_per_dim.sum())),
            kl_per_dim=tf.constant(kl_per_dim),
            step=tf.constant(step, tf.int64),
            training=True,
        )

    return make
