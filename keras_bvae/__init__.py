"""keras_bvae: beta-VAE and disentanglement metrics for Keras 3.

Public API:
    BetaVAE                 the model (keras_bvae.model)
    CapacitySchedule        capacity annealing (Burgess et al. 2018)
    datasets                ground-truth data: simulator, tfds dSprites, arrays
    disentanglement         metrics: beta_vae_score, factor_vae_score, mig, ...
    export                  SavedModel export with named signatures
    load                    load a .keras file, run folder or export
    sweep                   beta x latent size x seed sweeps and figures
    tuning                  Keras Tuner integration (import keras_bvae.tuning)
"""

import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_bvae import (  # noqa: E402
    callbacks,
    datasets,
    disentanglement,
    export,
    plotting,
    sweep,
)
from keras_bvae.loading import load  # noqa: E402
from keras_bvae.model import BetaVAE  # noqa: E402
from keras_bvae.objectives import CapacitySchedule, normalized_beta  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BetaVAE",
    "CapacitySchedule",
    "callbacks",
    "datasets",
    "disentanglement",
    "export",
    "load",
    "normalized_beta",
    "plotting",
    "sweep",
    "__version__",
]
