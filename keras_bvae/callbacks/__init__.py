"""Keras callbacks: traversal pictures, disentanglement scores, safety."""

from keras_bvae.callbacks.disentanglement import (
    SCORE_KEYS,
    DisentanglementCallback,
)
from keras_bvae.callbacks.safety import (
    NonFiniteLossError,
    NonFiniteLossGuard,
    TrainingBackup,
    weights_are_finite,
)
from keras_bvae.callbacks.traversal import LatentTraversalCallback

__all__ = [
    "SCORE_KEYS",
    "DisentanglementCallback",
    "LatentTraversalCallback",
    "NonFiniteLossError",
    "NonFiniteLossGuard",
    "TrainingBackup",
    "weights_are_finite",
]
