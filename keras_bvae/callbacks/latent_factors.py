"""A callback that logs which factor each latent carries during ``fit``.

At the end of every ``every_n_epochs``-th epoch it computes the latent x
factor NMI matrix of the posterior means (``label_latents``) and writes, for
each factor, the NMI of the latent that carries it most as
``nmi_{factor}`` into the epoch's logs, so history.csv holds the curve of
each factor's emergence over training (as the flagship study's
``factor_emergence.png`` does from snapshots).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_bvae.datasets.base import GroundTruthData
from keras_bvae.disentanglement import as_ground_truth
from keras_bvae.disentanglement.latent_factors import label_latents

__all__ = ["FactorNMICallback"]


class FactorNMICallback(keras.callbacks.Callback):
    """Logs each factor's best-latent NMI (``nmi_{factor}``) per epoch.

    Args:
        data: GroundTruthData or str. Labelled data (or a name for
            ``keras_bvae.datasets.get_data``).
        every_n_epochs: int. Score every N epochs. Defaults to 1.
        num_samples: int. Images per evaluation. Defaults to 5000.
        seed: int. The same images every time. Defaults to 0.
        min_kl: float. Latents whose epoch-mean KL (``kl_{j}`` in the logs)
            is below this are not counted as carrying a factor. Defaults
            to 0.1 nats.

    Example:
    ```python
    nmi = keras_bvae.callbacks.FactorNMICallback("dsprites-sim")
    history = model.fit(ds, epochs=10, steps_per_epoch=500, callbacks=[nmi])
    history.history["nmi_orientation"]
    ```
    """

    def __init__(
        self,
        data: GroundTruthData | str,
        every_n_epochs: int = 1,
        num_samples: int = 5000,
        seed: int = 0,
        min_kl: float = 0.1,
    ):
        super().__init__()
        if isinstance(data, str):
            from keras_bvae.datasets import get_data

            data = get_data(data)
        self.data = as_ground_truth(data, need_factors=True)
        self.every_n_epochs = int(every_n_epochs)
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.min_kl = float(min_kl)
        self.last_result: dict | None = None

    @property
    def log_keys(self) -> tuple[str, ...]:
        """The names this callback writes into the epoch logs."""
        return tuple(f"nmi_{name}" for name in self.data.factor_names)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or (epoch + 1) % self.every_n_epochs:
            return
        kl = [logs.get(f"kl_{j}") for j in range(self.model.latent_dim)]
        active = None
        if all(v is not None for v in kl):
            active = np.asarray(kl, np.float64) >= self.min_kl
            if not active.any():
                active = None  # nothing active yet: score every latent
        result = label_latents(
            self.data,
            self.model.encode,
            seed=self.seed,
            num_samples=self.num_samples,
            active=active,
        )
        self.last_result = result
        for name in self.data.factor_names:
            best = result["best_latent"].get(name)
            logs[f"nmi_{name}"] = 0.0 if best is None else float(best[1])
