"""One training run, end to end: data, model, fit, and the files it leaves.

``train(TrainConfig(...))`` is what ``python -m keras_bvae train`` runs; the
sweep, the tuner and the notebooks call it too. A run folder holds:

    model.keras           the trained model (keras.models.load_model)
    history.csv           per-epoch losses (``HistoryCSV``)
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
metric sums are restored, and the batch stream restarts at the same step,
because batch k depends only on (seed, k) (``keras_bvae.datasets.stream``).
A mid-epoch backup is resumed with one ``fit`` over the rest of that epoch,
then one over the remaining epochs, so the run takes exactly as many steps
as an uninterrupted one and, on CPU, ends with the same weights to the last
bit (tests/runs/test_resume.py).

Safety. A NaN or inf loss raises ``NonFiniteLossError`` naming the step and
the last good backup; model.keras is only written from finite weights, and
every file is written atomically (``keras_bvae.files``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_bvae.callbacks.backup import (
    NonFiniteLossError,
    NonFiniteLossGuard,
    TrainingBackup,
    weights_are_finite,
)
from keras_bvae.datasets.stream import make_dataset, observation_shape_of
from keras_bvae.files import write_atomic, write_json
from keras_bvae.model import BetaVAE
from keras_bvae.plotting import (
    plot_reconstructions,
    plot_traversals,
    save_figure,
)
from keras_bvae.precision import check_precision_support
from keras_bvae.runs.config import (
    RESUMABLE_CHANGES,
    TrainConfig,
    build_model,
    load_data,
)
from keras_bvae.runs.history import (
    HistoryCSV,
    OneTrainingRun,
    truncate_history,
)

__all__ = [
    "TrainConfig",
    "build_model",
    "check_resumable",
    "save_model_atomic",
    "save_pictures",
    "train",
]


def save_model_atomic(model: keras.Model, path: str) -> str:
    """``model.save(path)``, atomically (``keras_bvae.files``).

    Raises:
        NonFiniteLossError: a weight is NaN or inf; nothing is written.
    """
    if not weights_are_finite(model):
        raise NonFiniteLossError(
            f"the model has NaN or inf weights; {path} was not written"
        )
    return write_atomic(path, model.save, suffix=".keras")


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


def check_resumable(config: TrainConfig, path: str) -> None:
    """Refuses to resume a backup made with other settings."""
    if not os.path.isfile(path):
        return
    with open(path) as handle:
        saved = json.load(handle)
    current = dataclasses.asdict(config)
    # A setting added since the backup was made had its default then.
    for field in dataclasses.fields(config):
        saved.setdefault(field.name, field.default)
    changed = [
        f"{key}: {saved.get(key)!r} -> {current[key]!r}"
        for key in current
        if key not in RESUMABLE_CHANGES and saved.get(key) != current[key]
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
        data: a ``GroundTruthData`` (an ``ImageFolder`` too) or an image
            array (n, H, W, C) to train on instead of
            ``get_data(config.data)``.
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
    check_precision_support(config.precision)  # before any file is made
    os.makedirs(config.output_dir, exist_ok=True)
    if data is None:
        data = load_data(config)
    image_shape = observation_shape_of(data)

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
        check_resumable(config, config_path)

    scope = strategy.scope() if strategy else contextlib.nullcontext()
    with scope:
        model = build_model(config, image_shape, distributed=bool(strategy))
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
        truncate_history(history_path, start_step // spe)
    # The CSV row of an epoch is written before its backup, so a kill in
    # between repeats the row's epoch, whose stale row is cut on resume.
    extra_keys = [k for cb in callbacks for k in getattr(cb, "log_keys", ())]
    all_callbacks = OneTrainingRun(
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
        first_step = int(model.optimizer.iterations.numpy())
        dataset = make_dataset(
            data,
            config.batch_size,
            seed=config.seed,
            start_step=first_step,
            steps=config.epochs * spe - first_step,
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
    if hasattr(data, "observation_shape"):
        rng = np.random.default_rng(config.seed + 1)
        images = data.sample_observations_from_factors(
            data.sample_factors(8, rng), rng
        )
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
