"""One training run, end to end: data, model, fit, and the files it leaves.

``train(TrainConfig(...))`` is what ``python -m keras_bvae train`` runs; the
sweep, the tuner and the notebooks call it too. A run folder holds:

    model.keras           the trained model (keras.models.load_model)
    history.csv           per-epoch losses (``HistoryCSV``)
    reconstructions.png   inputs above their reconstructions
    traversals.png        each latent varied over [-2, 2], others fixed
    config.json           the settings of the run
    summary.json          training time and the last epoch's losses
    backup/               while training: the last step backup, and the
                          run's config.json and history.csv so far
    .keras_bvae.lock      while training: the folder's lock, naming the
                          process (``keras_bvae.runs.lock``)

Whole runs or none. While a run trains, its config.json and history.csv
are written under ``backup/``; when it ends, model.keras, the pictures and
summary.json are written there too and the six files are then moved into
place (``os.replace``) and ``backup/`` removed. So the files of an earlier
run in the same folder stay whole and together until a new run has
succeeded; a run that stops (kill, NaN, no space left) leaves them as they
were, and its own files beside its backup, from which rerunning resumes.
A failed write raises ``OSError`` naming the file (the command line turns
it into a one-line error, exit status 2). ``train`` holds the folder's
lock (``keras_bvae.runs.lock``): a second run on a folder in use stops
with ``FolderInUseError``.

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
bit (tests/runs/test_training.py).

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
from keras_bvae.files import naming_path, write_atomic, write_bytes, write_json
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
from keras_bvae.runs.lock import lock_folder

__all__ = [
    "TrainConfig",
    "build_model",
    "check_resumable",
    "save_model_atomic",
    "save_pictures",
    "train",
]

# What a finished run leaves in its folder, in the order they are moved
# there from backup/ (config.json last: it says which run the folder holds).
RUN_FILES = (
    "reconstructions.png",
    "traversals.png",
    "summary.json",
    "model.keras",
    "history.csv",
    "config.json",
)


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
        saved = dataclasses.asdict(TrainConfig.from_dict(json.load(handle)))
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


def picture_images(data, seed: int) -> np.ndarray:
    """The 8 images a run draws (pictures, TensorBoard), from its seed."""
    if hasattr(data, "observation_shape"):
        rng = np.random.default_rng(seed + 1)
        return np.asarray(
            data.sample_observations_from_factors(
                data.sample_factors(8, rng), rng
            ),
            np.float32,
        )
    return np.asarray(data[:8], np.float32)


def tensorboard_callbacks(log_dir: str, data, seed: int) -> list:
    """Keras's TensorBoard callback (the epoch logs as scalars) and a
    ``LatentTraversalCallback`` writing traversals, each row labelled with
    its KL and (for data with factors) the factor it carries, and
    reconstructions as images into ``log_dir``."""
    from keras_bvae.callbacks.traversal import LatentTraversalCallback

    labelled = getattr(data, "factor_sizes", ())
    return [
        keras.callbacks.TensorBoard(log_dir, write_graph=False),
        LatentTraversalCallback(
            picture_images(data, seed),
            tensorboard_dir=os.path.join(log_dir, "images"),
            data=data if len(labelled) else None,
            seed=seed,
        ),
    ]


def train(
    config: TrainConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
    data: Any = None,
    fresh: bool = False,
    strategy: tf.distribute.Strategy | None = None,
    tensorboard_dir: str | None = None,
):
    """Trains one model and writes the run folder, resuming if it can.

    Args:
        config: TrainConfig. The run's settings.
        callbacks: extra Keras callbacks, called after the NaN guard and
            before history.csv is written and the backup is made, so the
            scores they add to the logs (``DisentanglementCallback``) reach
            history.csv.
        verbose: Keras ``fit`` verbosity; unless 0, a resumed run first
            prints "resumed at step N of T from BACKUP_DIR".
        data: a ``GroundTruthData`` (an ``ImageFolder`` too) or an image
            array (n, H, W, C) to train on instead of
            ``get_data(config.data)``.
        fresh: bool. Delete an existing backup and start over instead of
            resuming. Defaults to False.
        strategy: a ``tf.distribute.Strategy`` (e.g. ``MirroredStrategy``)
            to build and train the model under; ``batch_size`` is then the
            global batch, split over the replicas. Defaults to None (the
            default strategy).
        tensorboard_dir: str or None. TensorBoard log folder: every
            epoch's logs as scalars (loss terms, per-latent KL ``kl_i``,
            the scores ``callbacks`` add) under ``train/``, and labelled
            traversals and reconstructions of 8 images as images
            (``tensorboard_callbacks``). Defaults to None.

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
        FolderInUseError: another process is running in
            ``config.output_dir``.
        OSError: a file could not be written (no space, read-only folder,
            no permission); names it. The folder's earlier files are kept,
            and so is the backup.
    """
    check_precision_support(config.precision)  # before any file is made
    with lock_folder(config.output_dir):
        return _train(
            config, callbacks, verbose, data, fresh, strategy, tensorboard_dir
        )


def _adopt_files_of_older_backups(output_dir: str, staging: str) -> None:
    """Copies config.json and history.csv of a backup made by keras_bvae
    before runs kept them in backup/ (they were in the run folder)."""
    for name in ("config.json", "history.csv"):
        old, new = os.path.join(output_dir, name), os.path.join(staging, name)
        if os.path.isfile(old) and not os.path.exists(new):
            with open(old, "rb") as handle:
                write_bytes(new, handle.read())


def _move_into_place(staging: str, output_dir: str) -> None:
    """Moves the finished run's files from ``staging`` to ``output_dir``."""
    for name in RUN_FILES:
        source, target = (os.path.join(f, name) for f in (staging, output_dir))
        try:
            if os.path.exists(source):
                os.replace(source, target)
            elif os.path.exists(target):  # an earlier run's: not this one's
                os.remove(target)
        except OSError as error:
            raise naming_path(error, target) from error


def _train(config, callbacks, verbose, data, fresh, strategy, tensorboard_dir):
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
    staging = backup.backup_dir  # this run's files until it succeeds
    config_path = os.path.join(staging, "config.json")
    if fresh:
        backup.delete()
    elif backup.read_state() is not None:
        _adopt_files_of_older_backups(config.output_dir, staging)
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
    try:
        os.makedirs(staging, exist_ok=True)
    except OSError as error:
        raise naming_path(error, staging) from error
    write_json(
        config_path,
        {**dataclasses.asdict(config), "model": model.get_config()},
    )
    history_path = os.path.join(staging, "history.csv")
    if start_step > 0:
        truncate_history(history_path, start_step // spe)
    # The CSV row of an epoch is written before its backup, so a kill in
    # between repeats the row's epoch, whose stale row is cut on resume.
    extra_keys = [k for cb in callbacks for k in getattr(cb, "log_keys", ())]
    if tensorboard_dir:
        callbacks = [
            *callbacks,
            *tensorboard_callbacks(tensorboard_dir, data, config.seed),
        ]
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

    if start_step and verbose != 0:
        print(
            f"resumed at step {start_step} of {config.epochs * spe} from "
            f"{backup.backup_dir}",
            flush=True,
        )
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
    save_model_atomic(model, os.path.join(staging, "model.keras"))
    images = picture_images(data, config.seed)
    kl = None
    if history.history:
        kl = [history.history[f"kl_{i}"][-1] for i in range(model.latent_dim)]
    save_pictures(model, images, staging, kl_per_dim=kl)
    write_json(
        os.path.join(staging, "summary.json"),
        {
            "train_seconds": round(seconds, 1),
            "resumed_from_step": start_step,
            "final": {k: float(v[-1]) for k, v in history.history.items()},
        },
    )
    _move_into_place(staging, config.output_dir)
    backup.delete()
    return model, history
