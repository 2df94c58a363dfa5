"""Loading trained models: ``keras_bvae.load(path)``."""

from __future__ import annotations

import os

import keras

__all__ = ["load"]


def load(path: str):
    """Loads a BetaVAE from a ``.keras`` file or a folder holding one.

    A folder is a run folder or a ``saved_models/NAME`` folder, which hold
    ``model.keras``.

    Raises:
        FileNotFoundError: no such file, or a folder without model.keras.
        ValueError: the file exists but is not a readable Keras model.
    """
    import keras_bvae.model  # noqa: F401  (registers BetaVAE)

    if os.path.isdir(path):
        candidate = os.path.join(path, "model.keras")
        if not os.path.isfile(candidate):
            raise FileNotFoundError(
                f"{path} is a folder without model.keras; pass the .keras "
                "file or a run folder"
            )
        path = candidate
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        return keras.models.load_model(path)
    except Exception as error:  # corrupt zip, wrong format, ...
        raise ValueError(
            f"could not load a Keras model from {path}: {error}"
        ) from error
