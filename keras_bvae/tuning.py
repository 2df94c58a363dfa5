"""Deprecated: moved to ``keras_bvae.runs.tuning``; this alias goes in 0.3."""

import warnings

from keras_bvae.runs.tuning import *  # noqa: F403
from keras_bvae.runs.tuning import __all__  # noqa: F401

warnings.warn(
    "keras_bvae.tuning moved to keras_bvae.runs.tuning",
    DeprecationWarning,
    stacklevel=2,
)
