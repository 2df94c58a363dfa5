"""A callback that scores disentanglement while ``model.fit`` runs.

Each chosen metric of ``keras_bvae.disentanglement`` is run on the model's
posterior mean and its scores are written into the epoch's ``logs``, so
History, CSVLogger, TensorBoard, EarlyStopping and ModelCheckpoint see them
like any loss. Log names are ``{metric}_{score}``, e.g.
``beta_vae_eval_accuracy``, ``dci_disentanglement``; ``mig`` and ``sap``
are logged under their own names. Callbacks listed after this one (and the
History Keras adds) see the scores of the same epoch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import keras
import numpy as np

from keras_bvae.datasets.base import GroundTruthData
from keras_bvae.disentanglement import (
    LABEL_FREE_METRICS,
    METRICS,
    PROTOCOLS,
    SCORE_KEYS,  # re-exported: each metric module owns its keys
    UnlabelledDataError,
    as_ground_truth,
    evaluate,
)

__all__ = ["DisentanglementCallback", "SCORE_KEYS", "log_name"]


def log_name(metric: str, key: str) -> str:
    """The logs key of one score: ``beta_vae_eval_accuracy``, ``mig``."""
    return metric if key == metric else f"{metric}_{key}"


def flat_scores(results: dict) -> dict[str, float]:
    """{metric: result} from ``evaluate`` -> {log name: float score}."""
    return {
        log_name(metric, key): float(result[key])
        for metric, result in results.items()
        for key in SCORE_KEYS[metric]
    }


class DisentanglementCallback(keras.callbacks.Callback):
    """Runs disentanglement metrics on the posterior mean during ``fit``.

    Args:
        data: GroundTruthData or str. The ground truth: an object such as
            ``keras_bvae.datasets.TfdsDSprites()`` or a name for
            ``keras_bvae.datasets.get_data`` ("dsprites-tfds",
            "dsprites-sim").
        metrics: sequence of str. Names from
            ``keras_bvae.disentanglement.METRICS``. Defaults to
            ("beta_vae",), the Higgins et al. (2017) metric.
        protocol: str. "quick" (about 10x fewer samples, for monitoring) or
            "full" (disentanglement_lib's settings). Defaults to "quick".
        every_n_epochs: int. Score every N epochs (and after the last
            epoch if ``final_protocol`` is set). Defaults to 1.
        final_protocol: str or None. Protocol of one more evaluation at the
            end of training, kept in ``final_results``. Defaults to None.
        seed: int. The metrics' seed; the same each time, so epochs differ
            only by the model. Defaults to 0.
        encode_batch_size: int. Images per encoder call. Defaults to 1024.
        settings: dict or None. Overrides of the protocol's settings, for
            every metric (``{"num_train": 200}``) or one
            (``{"mig": {"num_train": 500}}``). Defaults to None.
        verbose: int. 1 prints a line per evaluation. Defaults to 1.

    Example:
    ```python
    callback = keras_bvae.callbacks.DisentanglementCallback(
        "dsprites-sim", metrics=["beta_vae", "mig"], every_n_epochs=2)
    history = model.fit(ds, epochs=10, steps_per_epoch=500,
                        callbacks=[callback])
    history.history["beta_vae_eval_accuracy"]
    ```
    """

    def __init__(
        self,
        data: GroundTruthData | str,
        metrics: Sequence[str] = ("beta_vae",),
        protocol: str = "quick",
        every_n_epochs: int = 1,
        final_protocol: str | None = None,
        seed: int = 0,
        encode_batch_size: int = 1024,
        settings: dict | None = None,
        verbose: int = 1,
    ):
        super().__init__()
        if isinstance(metrics, str):
            metrics = (metrics,)
        metrics = tuple(metrics)
        if not metrics:
            raise ValueError("metrics must name at least one metric; got ()")
        for name in metrics:
            if name not in METRICS:
                raise ValueError(
                    f"unknown metric {name!r}; choose from {sorted(METRICS)}"
                )
        for name in (protocol, final_protocol):
            if name is not None and name not in PROTOCOLS:
                raise ValueError(
                    f"unknown protocol {name!r}; choose from "
                    f"{sorted(PROTOCOLS)}"
                )
        if isinstance(every_n_epochs, bool) or int(every_n_epochs) < 1:
            raise ValueError(
                f"every_n_epochs must be >= 1; got {every_n_epochs!r}"
            )
        if isinstance(data, str):
            from keras_bvae.datasets import get_data

            data = get_data(data)
        try:
            data = as_ground_truth(
                data, need_factors=not set(metrics) <= LABEL_FREE_METRICS
            )
        except UnlabelledDataError:
            raise
        except ValueError as error:
            raise ValueError(
                f"data must be a GroundTruthData or a data set name: {error}"
            ) from None
        self.data = data
        self.metric_names = metrics
        self.protocol = protocol
        self.every_n_epochs = int(every_n_epochs)
        self.final_protocol = final_protocol
        self.seed = int(seed)
        self.encode_batch_size = int(encode_batch_size)
        self.settings = dict(settings or {})
        self.verbose = verbose
        self.results: dict[int, dict] = {}
        self.final_results: dict | None = None

    @property
    def log_keys(self) -> tuple[str, ...]:
        """The names this callback writes into the epoch logs."""
        return tuple(
            log_name(metric, key)
            for metric in self.metric_names
            for key in SCORE_KEYS[metric]
        )

    def _representation(self, images: np.ndarray) -> np.ndarray:
        return self.model.encode(images, batch_size=self.encode_batch_size)

    def score(self, protocol: str) -> dict:
        """Runs the metrics now: {metric: result dict}."""
        return evaluate(
            self.data,
            self._representation,
            metrics=self.metric_names,
            protocol=protocol,
            seed=self.seed,
            **{"encode_batch_size": self.encode_batch_size, **self.settings},
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        started = time.time()
        results = self.score(self.protocol)
        self.results[epoch + 1] = results
        scores = flat_scores(results)
        if logs is not None:
            logs.update(scores)
        if self.verbose:
            text = " ".join(f"{k}={v:.3f}" for k, v in scores.items())
            print(
                f"\nepoch {epoch + 1}: {text} ({self.protocol} protocol, "
                f"{time.time() - started:.1f} s)",
                flush=True,
            )

    def on_train_end(self, logs=None):
        if self.final_protocol is None:
            return
        self.final_results = self.score(self.final_protocol)
        if self.verbose:
            text = " ".join(
                f"{k}={v:.3f}"
                for k, v in flat_scores(self.final_results).items()
            )
            print(f"final ({self.final_protocol} protocol): {text}", flush=True)
