"""Loading trained models: ``keras_bvae.load(path)``.

Accepted paths:

- a ``.keras`` file;
- a folder holding ``model.keras``: a training run folder or a
  ``saved_models/NAME`` folder, whose layout is::

      saved_models/NAME/
          model.keras        the Keras model (what ``load`` reads)
          savedmodel/        its SavedModel export (keras_bvae.export)
          ...                scores, history and pictures

- a SavedModel export folder written by ``keras_bvae.export`` (or a folder
  holding one as ``savedmodel/`` but no ``model.keras``): the BetaVAE is
  rebuilt from the export's stored config and weights.
"""

from __future__ import annotations

import os
import zipfile

import keras

__all__ = ["load"]


def load(path: str):
    """Loads a BetaVAE from a ``.keras`` file, a model folder or an export.

    See the module docstring for the folder layouts.

    Raises:
        FileNotFoundError: no such file, or a folder with neither
            model.keras nor a keras_bvae export.
        ValueError: the file exists but is not a readable Keras model
            (truncated, another format), or holds a model that is not a
            BetaVAE.
    """
    from keras_bvae import export
    from keras_bvae.model import BetaVAE  # also registers what it saves

    path = os.fspath(path)
    if os.path.isdir(path):
        candidate = os.path.join(path, "model.keras")
        subdir = os.path.join(path, export.EXPORT_SUBDIR)
        if os.path.isfile(candidate):
            path = candidate
        elif export.is_export(path):
            return export.load_export_model(path)
        elif export.is_export(subdir):
            return export.load_export_model(subdir)
        elif os.path.isdir(os.path.join(path, "backup")):
            raise FileNotFoundError(
                f"{path} holds a training backup but no model.keras: the run "
                "did not finish; rerun the same train command to finish it, "
                "or load the backup with keras_bvae.runs.config."
                "model_for_run and model.load_weights"
            )
        else:
            raise FileNotFoundError(
                f"{path} is a folder without model.keras or a keras_bvae "
                f"SavedModel export ({export.EXPORT_SUBDIR}/); pass the "
                ".keras file, a run folder or a saved_models/NAME folder"
            )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {path}")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        # Keras would report "File not found" for it.
        raise ValueError(
            f"{path} is not a whole .keras file (a .keras file is a zip "
            "archive; this one is truncated or not a Keras model)"
        )
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # corrupt zip, wrong format, ...
        raise ValueError(
            f"could not load a Keras model from {path}: {error}"
        ) from error
    if not isinstance(model, BetaVAE):
        raise ValueError(
            f"{path} holds a {type(model).__name__}, not a keras_bvae "
            "BetaVAE; keras_bvae reads the models it trains (keras_bvae "
            "train, keras_bvae.BetaVAE)"
        )
    return model
