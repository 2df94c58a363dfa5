"""Deprecated: moved to ``keras_bvae.runs.training``; this alias goes in 0.3."""

import warnings

from keras_bvae.runs.training import *  # noqa: F403
from keras_bvae.runs.training import __all__  # noqa: F401

warnings.warn(
    "keras_bvae.training moved to keras_bvae.runs.training",
    DeprecationWarning,
    stacklevel=2,
)
