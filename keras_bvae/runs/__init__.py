"""The workflow: what the command line, sweeps and the tuner do with the
library.

- ``config``: ``TrainConfig``, the settings of one run, and the model they
  describe (``build_model``).
- ``training``: ``train(config)``, one run end to end, resumable (also
  ``keras_bvae.runs.train``).
- ``history``: history.csv and callbacks seen across several ``fit`` calls.
- ``lock``: ``lock_folder(output_dir)``, one run per output folder.
- ``sweep``: resumable beta x latent size x seed sweeps, from a ``grid``
  of ``RunSpec``s into a ``results`` CSV, ranked without labels by
  ``sweep_udr``; ``sweep_plots`` draws their figures; ``compare`` runs
  the whole family.
- ``tuning``: Keras Tuner integration (needs the ``tuner`` extra; imported
  on first use): the hypermodel, its trial callbacks
  (``tuning_callbacks``) and the tuner (``tuner``).
"""

from __future__ import annotations

import importlib

from keras_bvae.runs.config import TrainConfig, build_model
from keras_bvae.runs.lock import lock_folder
from keras_bvae.runs.training import train

__all__ = [
    "TrainConfig",
    "build_model",
    "lock_folder",
    "sweep",
    "train",
    "training",
    "tuning",
]


def __getattr__(name: str):
    if name in ("sweep", "sweep_plots", "tuning", "history", "training"):
        return importlib.import_module(f"keras_bvae.runs.{name}")
    raise AttributeError(f"module 'keras_bvae.runs' has no attribute {name!r}")
