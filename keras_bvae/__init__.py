"""keras_bvae: beta-VAE and disentanglement metrics for Keras 3.

The library (what you import into your own ``fit``):
    BetaVAE                 the model (keras_bvae.model)
    objectives              the beta-VAE family's objectives, as parts
    optimizers              FusedAdam, Keras's Adam with a fused kernel
    datasets                ground-truth data and the training batch stream
    disentanglement         metrics: beta_vae_score, factor_vae_score, mig, ...
    callbacks               Keras callbacks: scores into logs, traversals,
                            backups
    export, load            SavedModel export; load a model, run or export
    prefer_onednn_kernels   TensorFlow's oneDNN kernels on AVX2 CPUs too
                            (call before importing TensorFlow)
    plotting                every figure helper

The workflow (what the command line does with the library):
    runs                    train(TrainConfig), sweeps, Keras Tuner

Submodules are imported on first use, so ``import keras_bvae`` is cheap and
changes nothing in the environment (the command line can then configure
TensorFlow's logging before TensorFlow loads). If Keras is already imported,
the model classes are registered at once, so ``keras.models.load_model``
finds them; otherwise use ``keras_bvae.load`` or touch
``keras_bvae.BetaVAE`` first. The package needs Keras on its TensorFlow
backend (Keras's default).
"""

from __future__ import annotations

import importlib
import sys

__version__ = "0.2.0"

_SUBMODULES = (
    "callbacks",
    "datasets",
    "disentanglement",
    "explorer",
    "export",
    "objectives",
    "optimizers",
    "plotting",
    "runs",
)
_ATTRIBUTES = {
    "BetaVAE": ("keras_bvae.model", "BetaVAE"),
    "CapacitySchedule": ("keras_bvae.objectives", "CapacitySchedule"),
    "load": ("keras_bvae.loading", "load"),
    "normalized_beta": ("keras_bvae.objectives", "normalized_beta"),
    "prefer_onednn_kernels": ("keras_bvae.onednn", "prefer_onednn_kernels"),
}

__all__ = sorted([*_SUBMODULES, *_ATTRIBUTES, "__version__"])


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_bvae.{name}")
    if name in _ATTRIBUTES:
        module, attribute = _ATTRIBUTES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'keras_bvae' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SUBMODULES, *_ATTRIBUTES])


if "keras" in sys.modules:
    importlib.import_module("keras_bvae.model")
