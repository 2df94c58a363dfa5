"""Deprecated: moved to ``keras_bvae.runs.sweep`` and
``keras_bvae.runs.sweep_plots``; this alias goes in 0.3."""

import warnings

from keras_bvae.runs.sweep import *  # noqa: F403
from keras_bvae.runs.sweep_plots import *  # noqa: F403

warnings.warn(
    "keras_bvae.sweep moved to keras_bvae.runs.sweep",
    DeprecationWarning,
    stacklevel=2,
)
