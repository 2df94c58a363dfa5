"""Keras callbacks: traversal pictures and disentanglement scores."""

from keras_bvae.callbacks.traversal import LatentTraversalCallback

__all__ = ["LatentTraversalCallback"]
