"""Keras callbacks: scores into logs, traversal pictures, backups and the
NaN guard, and the loss-terms progress bar."""

from keras_bvae.callbacks.backup import (
    NonFiniteLossError,
    NonFiniteLossGuard,
    TrainingBackup,
    weights_are_finite,
)
from keras_bvae.callbacks.disentanglement import (
    SCORE_KEYS,
    DisentanglementCallback,
)
from keras_bvae.callbacks.progress import LossTermsProgbar
from keras_bvae.callbacks.traversal import LatentTraversalCallback

__all__ = [
    "SCORE_KEYS",
    "DisentanglementCallback",
    "LatentTraversalCallback",
    "LossTermsProgbar",
    "NonFiniteLossError",
    "NonFiniteLossGuard",
    "TrainingBackup",
    "weights_are_finite",
]
