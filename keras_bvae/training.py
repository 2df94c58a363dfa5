"""Deprecated: moved to ``keras_bvae.runs.train``; this alias goes in 0.3."""

import warnings

from keras_bvae.runs.train import *  # noqa: F403
from keras_bvae.runs.train import __all__  # noqa: F401

warnings.warn(
    "keras_bvae.training moved to keras_bvae.runs.train",
    DeprecationWarning,
    stacklevel=2,
)
