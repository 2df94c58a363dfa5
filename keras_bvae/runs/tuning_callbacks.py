"""The callbacks a tuning trial adds to its ``fit``: the score mix and the
UDR of the trial's model among its siblings (``keras_bvae.runs.tuning``)."""

from __future__ import annotations

import keras
import numpy as np

from keras_bvae.disentanglement.udr import codes_and_kl, udr

__all__ = ["MIX_NAME", "UDR_NAME", "ObjectiveMix"]

MIX_NAME = "objective_mix"
UDR_NAME = "udr"


class ObjectiveMix(keras.callbacks.Callback):
    """Writes ``score - weight * reconstruction_loss / N`` into the logs.

    Must come after the ``DisentanglementCallback`` that logs ``score``.

    Args:
        score: str. A log name such as ``beta_vae_eval_accuracy``.
        reconstruction_weight: float. Weight of the per-pixel distortion.
        input_size: int. Pixels per image N.
        name: str. Log name of the mix. Defaults to "objective_mix".
    """

    def __init__(
        self,
        score: str,
        reconstruction_weight: float,
        input_size: int,
        name: str = MIX_NAME,
    ):
        super().__init__()
        self.score = score
        self.reconstruction_weight = float(reconstruction_weight)
        self.input_size = int(input_size)
        self.name = name

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.score not in logs:
            return
        logs[self.name] = float(logs[self.score]) - (
            self.reconstruction_weight
            * float(logs["reconstruction_loss"])
            / self.input_size
        )


class _UDRAtLastEpoch(keras.callbacks.Callback):
    """Writes the median UDR of the model and its siblings into the logs
    of the last epoch (``epochs``), the model's codes first."""

    def __init__(self, images, siblings, epochs, method, seed):
        super().__init__()
        self.images = images
        self.siblings = list(siblings)  # (codes, kl) of each sibling
        self.epochs = int(epochs)
        self.method = method
        self.seed = int(seed)
        self.result = None

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 != self.epochs:
            return
        pairs = [codes_and_kl(self.model, self.images), *self.siblings]
        self.result = udr(
            [c for c, _ in pairs],
            [k for _, k in pairs],
            method=self.method,
            seed=self.seed,
        )
        if logs is not None:
            logs[UDR_NAME] = float(np.median(self.result["model_scores"]))
