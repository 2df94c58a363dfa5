"""Keras callbacks: traversal pictures and disentanglement scores."""

from keras_bvae.callbacks.disentanglement import (
    SCORE_KEYS,
    DisentanglementCallback,
)
from keras_bvae.callbacks.traversal import LatentTraversalCallback

__all__ = [
    "SCORE_KEYS",
    "DisentanglementCallback",
    "LatentTraversalCallback",
]
