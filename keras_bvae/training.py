"""One training run, end to end: data, model, fit, and the files it leaves.

``train(TrainConfig(...))`` is what ``python -m keras_bvae train`` runs; the
sweep and the notebooks call it too. A run folder holds:

    model.keras           the trained model (keras.models.load_model)
    history.csv           per-epoch losses (CSVLogger)
    reconstructions.png   inputs above their reconstructions
    traversals.png        each latent varied over [-2, 2], others fixed
    config.json           the settings of the run
    summary.json          training time and the last epoch's losses
    backup/               while training: the last step backup (removed
                          once model.keras is written)

Resume. Rerunning ``train`` with the same settings and output folder after
a crash or kill continues from the last backup in ``backup/`` (every
``backup_every`` steps and at each epoch end; see
``keras_bvae.callbacks.TrainingBackup``): weights, optimiser state and step
count (so the capacity schedule), the noise seed state and the epoch's
metric sums are restored, and the data stream restarts at the same step,
because batch k of the stream depends only on (seed, k)
(``training_batches``). A mid-epoch backup is resumed with one ``fit`` over
the rest of that epoch, then one over the remaining epochs, so the run takes
exactly as many steps as an uninterrupted one and, on CPU, ends with the
same weights to the last bit (tests/test_reliability_resume.py).

Safety. A NaN or inf loss raises ``NonFiniteLossError`` naming the step and
the last good backup; model.keras is only written from finite weights, and
every file is written under a temporary name and then renamed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_bvae.callbacks.safety import (
    NonFiniteLossError,
    NonFiniteLossGuard,
    TrainingBackup,
    weights_are_finite,
)
from keras_bvae.distributions import LIKELIHOODS
from keras_bvae.model import BetaVAE
from keras_bvae.networks import ARCHITECTURES
from keras_bvae.plotting import (
    plot_reconstructions,
    plot_traversals,
    save_figure,
)

__all__ = [
    "TrainConfig",
    "train",
    "HistoryCSV",
    "build_model",
    "training_batches",
    "save_model_atomic",
    "write_json",
]

# Settings that may differ between an interrupted run and its resumption.
_RESUMABLE_CHANGES = ("epochs", "backup_every")


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (defaults: the README's main job).

    Args:
        output_dir: str. Folder for the run's files.
        data: str. Data name for ``keras_bvae.datasets.get_data``.
        data_dir: str or None. tfds data folder for "dsprites-tfds".
        architecture: str. "burgess" or "higgins".
        latent_dim: int. Latent size M.
        beta: float or None. KL weight (None with normalized_beta).
        normalized_beta: float or None. beta * M / N instead of beta.
        likelihood: str. "bernoulli" or "gaussian".
        capacity_max, capacity_steps, capacity_gamma: capacity annealing
            (Burgess et al. 2018), used when capacity_max is set.
        batch_size, epochs, steps_per_epoch: the length of training.
        learning_rate: float. Adam's learning rate.
        seed: int. Seeds data order, initial weights and noise.
        backup_every: int. Steps between backups for resuming.
    """

    output_dir: str = "runs/quickstart"
    data: str = "dsprites-sim"
    data_dir: str | None = None
    architecture: str = "burgess"
    latent_dim: int = 10
    beta: float | None = 4.0
    normalized_beta: float | None = None
    likelihood: str = "bernoulli"
    capacity_max: float | None = None
    capacity_steps: int = 10_000
    capacity_gamma: float = 1000.0
    batch_size: int = 64
    epochs: int = 5
    steps_per_epoch: int = 500
    learning_rate: float = 5e-4
    seed: int = 0
    backup_every: int = 100

    def __post_init__(self):
        for name in (
            "batch_size",
            "epochs",
            "steps_per_epoch",
            "latent_dim",
            "capacity_steps",
            "backup_every",
        ):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("seed", self.seed, minimum=0)
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"unknown architecture {self.architecture!r}; choose one of "
                f"{sorted(ARCHITECTURES)}"
            )
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {self.likelihood!r}; choose one of "
                f"{list(LIKELIHOODS)}"
            )
        if (
            self.beta is not None
            and self.normalized_beta is not None
            and (self.beta != TrainConfig.beta)
        ):
            raise ValueError(
                f"give beta or normalized_beta, not both (got beta="
                f"{self.beta}, normalized_beta={self.normalized_beta})"
            )
        if self.normalized_beta is not None:
            self.beta = None
        for name in ("beta", "normalized_beta", "capacity_max"):
            value = getattr(self, name)
            if value is not None and not _finite_at_least(value, 0.0):
                raise ValueError(
                    f"{name} must be finite and >= 0; got {value!r}"
                )
        if not _finite_at_least(self.capacity_gamma, 0.0):
            raise ValueError(
                f"capacity_gamma must be finite and >= 0; got "
                f"{self.capacity_gamma!r}"
            )
        if not (
            _finite_at_least(self.learning_rate, 0.0) and self.learning_rate > 0
        ):
            raise ValueError(
                f"learning_rate must be finite and > 0; got "
                f"{self.learning_rate!r}"
            )


def _check_int(name: str, value, minimum: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {value!r}"
        )


def _finite_at_least(value, minimum: float) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number >= minimum


def build_model(config: TrainConfig, image_shape: Sequence[int]) -> BetaVAE:
    """The compiled BetaVAE a config describes."""
    capacity = None
    if config.capacity_max is not None:
        capacity = {
            "capacity_max": config.capacity_max,
            "num_steps": config.capacity_steps,
            "gamma": config.capacity_gamma,
        }
    keras.utils.set_random_seed(config.seed)
    model = BetaVAE(
        latent_dim=config.latent_dim,
        architecture=config.architecture,
        beta=config.beta,
        normalized_beta=config.normalized_beta,
        likelihood=config.likelihood,
        image_shape=tuple(image_shape),
        capacity=capacity,
        seed=config.seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return model


def write_json(path: str, payload) -> str:
    """Writes JSON atomically (temporary name, then rename)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def save_model_atomic(model: keras.Model, path: str) -> str:
    """``model.save(path)`` via a temporary ``.keras`` file and a rename.

    A kill during the write leaves the previous file (or none), never a
    truncated one.

    Raises:
        NonFiniteLossError: a weight is NaN or inf; nothing is written.
    """
    if not weights_are_finite(model):
        raise NonFiniteLossError(
            f"the model has NaN or inf weights; {path} was not written"
        )
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.tmp-{os.getpid()}.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _rows_batch_fn(take, num: int, batch_size: int, seed: int):
    """Batch k of passes over ``num`` rows, each pass a seeded permutation.

    ``take(rows)`` returns the images of an int64 array of row indices.
    """

    @functools.lru_cache(maxsize=4)
    def permutation(data_pass: int) -> np.ndarray:
        return np.random.default_rng([seed, data_pass]).permutation(num)

    def batch(step: np.int64) -> np.ndarray:
        flat = np.arange(int(step) * batch_size, (int(step) + 1) * batch_size)
        passes, positions = np.divmod(flat, num)
        rows = np.array(
            [permutation(int(p))[i] for p, i in zip(passes, positions)],
            dtype=np.int64,
        )
        return np.asarray(take(rows), np.float32)

    return batch


def _sampled_batch_fn(data, batch_size: int, seed: int):
    """Batch k drawn from a GroundTruthData with the generator (seed, k)."""

    def batch(step: np.int64) -> np.ndarray:
        rng = np.random.default_rng([seed, int(step)])
        _, images = data.sample(batch_size, rng)
        return np.asarray(images, np.float32)

    return batch


def _batch_fn(source: Any, batch_size: int, seed: int):
    """(batch function, image shape) for data or an image array."""
    if hasattr(source, "observation_shape"):
        shape = tuple(source.observation_shape)
        num = getattr(source, "num_images", None)
        if hasattr(source, "factors_of"):  # DSpritesSimulator: every row

            def take(rows):
                return source.sample_observations_from_factors(
                    source.factors_of(rows)
                )
        elif hasattr(source, "images") and callable(source.images):
            take = source.images  # ArrayGroundTruthData, TfdsDSprites
        else:
            num = None
        if isinstance(num, (int, np.integer)) and num > 0:
            return _rows_batch_fn(take, int(num), batch_size, seed), shape
        return _sampled_batch_fn(source, batch_size, seed), shape
    images = np.asarray(source)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "training images must be a non-empty array (n, H, W, C); got "
            f"shape {images.shape}"
        )
    images = images.astype(np.float32, copy=False)
    return (
        _rows_batch_fn(images.__getitem__, len(images), batch_size, seed),
        images.shape[1:],
    )


def training_batches(
    source: Any, batch_size: int, seed: int, start_step: int = 0
) -> tf.data.Dataset:
    """Endless image batches in which batch k depends only on (seed, k).

    So a resumed run starts the stream at its step without replaying it.

    Args:
        source: an image array (n, H, W, C) or a ``GroundTruthData``.
            Data with enumerable rows (arrays, ``ArrayGroundTruthData``,
            ``TfdsDSprites``, ``DSpritesSimulator``'s 737,280 factor
            combinations) is walked through in passes, each a permutation
            of all rows drawn from ``default_rng([seed, pass])``, as
            ``make_dataset`` does; other data gives batch k as
            ``source.sample(B, default_rng([seed, k]))``.
        batch_size: int. Images per batch B.
        seed: int. Seed of the stream.
        start_step: int. Index k of the first batch. Defaults to 0.

    Returns:
        A ``tf.data.Dataset`` of float32 (B, H, W, C) batches.
    """
    _check_int("batch_size", batch_size, minimum=1)
    _check_int("seed", seed, minimum=0)
    _check_int("start_step", start_step, minimum=0)
    batch, shape = _batch_fn(source, batch_size, seed)

    def load(step):
        out = tf.numpy_function(batch, [step], tf.float32, stateful=False)
        out.set_shape((batch_size, *shape))
        return out

    return (
        tf.data.Dataset.range(start_step, 2**62)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(2)
    )


def save_pictures(
    model: BetaVAE, images: np.ndarray, output_dir: str, kl_per_dim=None
) -> None:
    """Writes reconstructions.png and traversals.png for a model."""
    values = np.linspace(-2.0, 2.0, 9)
    save_figure(
        plot_reconstructions(images, model.reconstruct(images)),
        os.path.join(output_dir, "reconstructions.png"),
    )
    save_figure(
        plot_traversals(
            model.traverse(images[:1], values=values),
            values,
            kl_per_dim=kl_per_dim,
        ),
        os.path.join(output_dir, "traversals.png"),
    )


class HistoryCSV(keras.callbacks.CSVLogger):
    """CSVLogger for history.csv with the run's own columns.

    Keras's CSVLogger fixes its columns at the first epoch and, when that
    epoch has no validation logs, adds an empty ``val_*`` twin of every
    column. This one takes the first epoch's keys plus ``extra_keys`` (the
    ``log_keys`` of callbacks that write scores only some epochs, such as
    ``DisentanglementCallback(every_n_epochs=5)``) and adds no ``val_*``
    columns; a key missing in an epoch is written as NA.

    Args:
        filename: str. The CSV path.
        append: bool. Append to an existing file (resume).
        extra_keys: log keys to keep a column for even if the first epoch
            lacks them.
    """

    def __init__(self, filename: str, append: bool = False, extra_keys=()):
        super().__init__(filename, append=append)
        self.extra_keys = tuple(extra_keys)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(set(logs) | set(self.extra_keys))
        super().on_epoch_end(epoch, logs)


def _truncate_history(path: str, epochs_done: int) -> None:
    """Keeps the header and the rows of the first ``epochs_done`` epochs."""
    if not os.path.isfile(path):
        return
    with open(path) as handle:
        lines = handle.read().splitlines(keepends=True)
    kept = lines[:1] + [
        line
        for line in lines[1:]
        if line.split(",", 1)[0].isdigit()
        and int(line.split(",", 1)[0]) < epochs_done
    ]
    if kept != lines:
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w") as handle:
            handle.writelines(kept)
        os.replace(tmp, path)


class _OneTraining(keras.callbacks.Callback):
    """Shows callbacks several ``fit`` calls as one training run.

    ``on_train_begin`` reaches them in the first call only and
    ``on_train_end`` only once ``last`` is set; every other hook is passed
    on as it comes.
    """

    def __init__(self, callbacks: Sequence[keras.callbacks.Callback]):
        super().__init__()
        self.callbacks = list(callbacks)
        self.started = False
        self.last = False

    def set_model(self, model):
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def on_train_begin(self, logs=None):
        if not self.started:
            self.started = True
            self._forward("on_train_begin", logs)

    def on_train_end(self, logs=None):
        if self.last:
            self._forward("on_train_end", logs)

    def _forward(self, hook: str, *args, **kwargs) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args, **kwargs)


for _hook in (
    "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
):  # fmt: skip
    setattr(
        _OneTraining,
        _hook,
        lambda self, *args, _hook=_hook, **kwargs: self._forward(
            _hook, *args, **kwargs
        ),
    )


def _check_resumable(config: TrainConfig, path: str) -> None:
    """Refuses to resume a backup made with other settings."""
    if not os.path.isfile(path):
        return
    with open(path) as handle:
        saved = json.load(handle)
    current = dataclasses.asdict(config)
    changed = [
        f"{key}: {saved.get(key)!r} -> {current[key]!r}"
        for key in current
        if key not in _RESUMABLE_CHANGES and saved.get(key) != current[key]
    ]
    if changed:
        raise ValueError(
            f"{config.output_dir} holds a backup of a run with other "
            f"settings ({'; '.join(changed)}); rerun with the same settings "
            "to resume, or pass fresh=True (--fresh) to start over"
        )


def train(
    config: TrainConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
    data: Any = None,
    fresh: bool = False,
    strategy: tf.distribute.Strategy | None = None,
):
    """Trains one model and writes the run folder, resuming if it can.

    Args:
        config: TrainConfig. The run's settings.
        callbacks: extra Keras callbacks, called after the NaN guard and
            before history.csv is written and the backup is made, so the
            scores they add to the logs (``DisentanglementCallback``) reach
            history.csv.
        verbose: Keras ``fit`` verbosity.
        data: a ``GroundTruthData`` or an image array (n, H, W, C) to train
            on instead of ``get_data(config.data)``.
        fresh: bool. Delete an existing backup and start over instead of
            resuming. Defaults to False.
        strategy: a ``tf.distribute.Strategy`` (e.g. ``MirroredStrategy``)
            to build and train the model under; ``batch_size`` is then the
            global batch, split over the replicas. Defaults to None (the
            default strategy).

    A backup from mid-epoch is resumed with two ``fit`` calls (the rest of
    that epoch, then the remaining epochs); ``callbacks`` still see one
    training run: one ``on_train_begin`` and one ``on_train_end``.

    Returns:
        (model, history): the trained BetaVAE and a Keras History holding
        the epochs run by this call (after a resume, the remaining ones).

    Raises:
        NonFiniteLossError: the loss became NaN or inf; the backup of the
            last good step is kept and no model.keras is written.
        ValueError: bad settings, or a backup made with other settings.
    """
    os.makedirs(config.output_dir, exist_ok=True)
    if data is None:
        from keras_bvae import datasets

        data_kwargs = {}
        if config.data_dir is not None:
            data_kwargs["data_dir"] = config.data_dir
        data = datasets.get_data(config.data, **data_kwargs)
    if hasattr(data, "observation_shape"):
        image_shape = tuple(data.observation_shape)
    else:
        image_shape = tuple(np.shape(data)[1:])

    spe = config.steps_per_epoch
    backup = TrainingBackup(
        os.path.join(config.output_dir, "backup"),
        save_freq=config.backup_every,
        steps_per_epoch=spe,
        delete_on_end=False,
    )
    config_path = os.path.join(config.output_dir, "config.json")
    if fresh:
        backup.delete()
    elif backup.read_state() is not None:
        _check_resumable(config, config_path)

    scope = strategy.scope() if strategy else contextlib.nullcontext()
    with scope:
        model = build_model(config, image_shape)
        start_step = backup.restore(model) or 0
    if start_step > config.epochs * spe:
        raise ValueError(
            f"the backup in {backup.backup_dir} is at step {start_step}, "
            f"past the end of this run ({config.epochs} epochs of {spe} "
            "steps); pass fresh=True (--fresh) to start over"
        )
    write_json(
        config_path,
        {**dataclasses.asdict(config), "model": model.get_config()},
    )
    history_path = os.path.join(config.output_dir, "history.csv")
    if start_step > 0:
        _truncate_history(history_path, start_step // spe)
    # The CSV row of an epoch is written before its backup, so a kill in
    # between repeats the row's epoch, whose stale row is cut on resume.
    extra_keys = [k for cb in callbacks for k in getattr(cb, "log_keys", ())]
    all_callbacks = _OneTraining(
        [
            NonFiniteLossGuard(backup),
            *callbacks,
            HistoryCSV(
                history_path, append=start_step > 0, extra_keys=extra_keys
            ),
            backup,
        ]
    )
    started = time.time()
    history = keras.callbacks.History()
    history.history, history.epoch = {}, []

    def fit(first_epoch: int, last_epoch: int, steps: int) -> None:
        all_callbacks.last = last_epoch == config.epochs
        dataset = training_batches(
            data,
            config.batch_size,
            config.seed,
            start_step=int(model.optimizer.iterations.numpy()),
        )
        part = model.fit(
            dataset,
            initial_epoch=first_epoch,
            epochs=last_epoch,
            steps_per_epoch=steps,
            callbacks=[all_callbacks],
            verbose=verbose,
        )
        history.epoch += part.epoch
        for key, values in part.history.items():
            history.history.setdefault(key, []).extend(values)

    epoch, batch = divmod(start_step, spe)
    if batch and epoch < config.epochs:
        fit(epoch, epoch + 1, spe - batch)  # the rest of the broken epoch
        epoch += 1
    if epoch < config.epochs and not model.stop_training:
        fit(epoch, config.epochs, spe)
    elif all_callbacks.started and not all_callbacks.last:
        all_callbacks.last = True  # stopped early by a callback
        all_callbacks.on_train_end()
    seconds = time.time() - started
    history.set_model(model)
    save_model_atomic(model, os.path.join(config.output_dir, "model.keras"))
    if hasattr(data, "sample"):
        _, images = data.sample(8, np.random.default_rng(config.seed + 1))
    else:
        images = np.asarray(data[:8], np.float32)
    kl = None
    if history.history:
        kl = [history.history[f"kl_{i}"][-1] for i in range(model.latent_dim)]
    save_pictures(model, images, config.output_dir, kl_per_dim=kl)
    write_json(
        os.path.join(config.output_dir, "summary.json"),
        {
            "train_seconds": round(seconds, 1),
            "resumed_from_step": start_step,
            "final": {k: float(v[-1]) for k, v in history.history.items()},
        },
    )
    backup.delete()
    return model, history
