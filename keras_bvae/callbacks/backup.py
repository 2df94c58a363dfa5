"""Callbacks that keep long runs safe: step backups and a NaN/inf guard.

``TrainingBackup`` writes the whole training state every ``save_freq``
optimiser steps and at each epoch end, into one folder:

    step-000120.weights.h5   model weights and optimiser state (Adam moments,
                             ``optimizer.iterations``, so any schedule that
                             reads the step, such as capacity annealing)
    state.json               the global step, the file above, the state of
                             the model's ``SeedGenerator`` (reparameterisation
                             noise) and of its metric trackers

Keras' ``save_weights`` stores neither the ``SeedGenerator`` state nor the
metric trackers, hence ``state.json``. A backup is written atomically: the
weights, built in memory (``weights_h5_bytes``), go to a new file, then
``state.json`` is replaced (temporary name, ``os.replace``) to point at
it, then older weight files are removed; a kill or a failed write (no
space: ``OSError`` naming the file) at any moment leaves the previous
complete backup. Backups are never written from non-finite weights or a
non-finite loss.

Keras' own ``BackupAndRestore`` (3.15) resumes at the start of the epoch in
which it was interrupted, replaying that epoch's first batches, and does not
write atomically. ``keras_bvae.runs.train`` uses ``TrainingBackup.restore``
and resumes at the exact step (see there). Passed to ``BetaVAE.fit``, a
``TrainingBackup`` is restored before training starts (weights and step)
and ``fit`` starts at the epoch of the backup, as with ``BackupAndRestore``;
for other models call ``restore_for_fit`` and pass its epoch as
``initial_epoch``.

``NonFiniteLossGuard`` raises ``NonFiniteLossError`` as soon as the loss of
a batch is NaN or inf, naming the global step and the last good backup, so
nothing after it (``model.save`` in ``train``) runs on corrupted weights.
"""

from __future__ import annotations

import glob
import io
import json
import math
import os
import shutil
from typing import Any

import keras
import numpy as np

from keras_bvae.files import naming_path, write_bytes, write_json
from keras_bvae.validation import check_int

__all__ = [
    "TrainingBackup",
    "NonFiniteLossGuard",
    "NonFiniteLossError",
    "weights_are_finite",
    "weights_h5_bytes",
]

_STATE = "state.json"


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or inf loss; the message says where."""


def weights_are_finite(model: keras.Model) -> bool:
    """True when every weight of ``model`` (and its optimiser) is finite."""
    variables = list(model.weights)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        variables += list(optimizer.variables)
    for variable in variables:
        value = _numpy(variable)
        if (
            np.issubdtype(value.dtype, np.floating)
            and not np.isfinite(value).all()
        ):
            return False
    return True


def weights_h5_bytes(model: keras.Model) -> bytes:
    """The ``.weights.h5`` file ``model.save_weights`` writes, in memory.

    h5py writing straight to disk on a full disk leaves HDF5 a file it can
    neither finish nor close, and the process segfaults at exit (issue
    34); built in memory, the file is then written by
    ``keras_bvae.files.write_bytes``, whose failures are plain ``OSError``.
    The same Keras saving code as ``save_weights_only`` (weights and
    optimiser state), given an ``io.BytesIO``.
    """
    try:
        from keras.src.saving import saving_lib

        store_class, save_state = saving_lib.H5IOStore, saving_lib._save_state
    except (ImportError, AttributeError):  # another Keras: through a file
        return _weights_h5_through_a_file(model)
    buffer = io.BytesIO()
    store = store_class(buffer, mode="w")
    try:
        save_state(
            model,
            weights_store=store,
            assets_store=None,
            inner_path="",
            visited_saveables=set(),
        )
    finally:
        store.close()
    return buffer.getvalue()


def _weights_h5_through_a_file(model: keras.Model) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.weights.h5")
        model.save_weights(path)
        with open(path, "rb") as handle:
            return handle.read()


def _numpy(variable) -> np.ndarray:
    """A variable's value; works for tf.distribute (sync-on-read) ones."""
    return np.asarray(variable.numpy())


class TrainingBackup(keras.callbacks.Callback):
    """Backs up the full training state every ``save_freq`` steps.

    The position is the optimiser's step count (``optimizer.iterations``),
    so it stays right across several ``fit`` calls; epoch and batch follow
    from it and ``steps_per_epoch``.

    Args:
        backup_dir: str. Folder used only by this callback.
        save_freq: int. Back up every this many optimiser steps (and at
            each epoch end). Defaults to 100.
        steps_per_epoch: int or None. Steps per epoch of the run, to place
            a backup within its epoch. Defaults to the ``steps`` of ``fit``.
        delete_on_end: bool. Remove ``backup_dir`` when ``fit`` ends
            normally, as Keras' ``BackupAndRestore`` does. ``train`` passes
            False and removes it after the final model file is written.
            Defaults to True.

    Example:
    ```python
    backup = TrainingBackup("run/backup", save_freq=50)
    model.fit(ds, epochs=10, steps_per_epoch=200, callbacks=[backup])
    # after a crash, the same call continues from the last backup's epoch
    ```
    """

    def __init__(
        self,
        backup_dir: str,
        save_freq: int = 100,
        steps_per_epoch: int | None = None,
        delete_on_end: bool = True,
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("backup_dir must be a non-empty path")
        self.save_freq = check_int("save_freq", save_freq, minimum=1)
        if steps_per_epoch is not None:
            steps_per_epoch = check_int(
                "steps_per_epoch", steps_per_epoch, minimum=1
            )
        self.backup_dir = str(backup_dir)
        self.steps_per_epoch = steps_per_epoch
        self.delete_on_end = bool(delete_on_end)
        self.last_checkpoint: str | None = None
        self.last_step: int | None = None
        self.restored = False
        self._pending_metrics: list | None = None
        self._last_saved_step = -1

    # -- reading -----------------------------------------------------------

    @property
    def state_path(self) -> str:
        return os.path.join(self.backup_dir, _STATE)

    def read_state(self) -> dict[str, Any] | None:
        """The last backup's ``state.json``, or None when there is none.

        Raises:
            ValueError: ``state.json`` or the weights it names is unreadable
                or missing: the message says which and how to start over.
        """
        if not os.path.exists(self.state_path):
            return None
        try:
            with open(self.state_path) as handle:
                state = json.load(handle)
            step = int(state["step"])
            weights = os.path.join(self.backup_dir, state["weights"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"the backup {self.state_path} is unreadable ({error}); "
                f"delete {self.backup_dir} to start the run over"
            ) from error
        if not os.path.isfile(weights):
            raise ValueError(
                f"the backup {self.state_path} names {weights}, which is "
                f"missing; delete {self.backup_dir} to start the run over"
            )
        state["step"] = step
        state["weights_path"] = weights
        return state

    def restore(self, model: keras.Model, metrics: bool = True) -> int | None:
        """Loads the last backup into ``model``; returns its global step.

        Restores weights, optimiser state (including the step count), the
        state of every ``SeedGenerator`` of the model and, when ``metrics``,
        the metric trackers, which are put back at the next epoch begin so
        that the epoch's logged means cover the whole epoch. Returns None
        when there is no backup.
        """
        state = self.read_state()
        self.restored = True
        if state is None:
            return None
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:
            model.load_weights(state["weights_path"])
        except Exception as error:
            raise ValueError(
                f"could not load the backup {state['weights_path']} "
                f"({error}); delete {self.backup_dir} to start over"
            ) from error
        seeds = _seed_variables(model)
        saved_seeds = state.get("seed_states", [])
        if len(saved_seeds) != len(seeds):
            raise ValueError(
                f"the backup holds {len(saved_seeds)} random seed states "
                f"but the model has {len(seeds)}: it was made by a "
                f"different model; delete {self.backup_dir} to start over"
            )
        for variable, value in zip(seeds, saved_seeds):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        self._pending_metrics = state.get("metrics") if metrics else None
        self.last_checkpoint = state["weights_path"]
        self.last_step = state["step"]
        self._last_saved_step = state["step"]
        return state["step"]

    # -- writing -----------------------------------------------------------

    def _steps_per_epoch(self) -> int | None:
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return (self.params or {}).get("steps")

    def save(self, logs: dict | None = None) -> str | None:
        """Writes a backup now; returns its weights path.

        Skips (returns None) when the loss in ``logs`` or any weight is
        NaN or inf, so that the last backup is always a good one.
        """
        model = self.model
        step = int(_numpy(model.optimizer.iterations))
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return None
        if not weights_are_finite(model):
            return None
        try:
            os.makedirs(self.backup_dir, exist_ok=True)
        except OSError as error:
            raise naming_path(error, self.backup_dir) from error
        name = f"step-{step:09d}.weights.h5"
        path = os.path.join(self.backup_dir, name)
        write_bytes(path, weights_h5_bytes(model))
        spe = self._steps_per_epoch()
        mid_epoch = spe is not None and step % spe != 0
        state = {
            "step": step,
            "epoch": None if spe is None else step // spe,
            "batch": None if spe is None else step % spe,
            "weights": name,
            "seed_states": [_numpy(v).tolist() for v in _seed_variables(model)],
            # Trackers only matter mid-epoch: Keras resets them per epoch.
            "metrics": [
                [_numpy(v).tolist() for v in metric.variables]
                for metric in model.metrics
            ]
            if mid_epoch
            else None,
        }
        write_json(self.state_path, state)
        for old in glob.glob(os.path.join(self.backup_dir, "step-*.h5")):
            if os.path.basename(old) != name:
                os.remove(old)
        self.last_checkpoint = path
        self.last_step = step
        self._last_saved_step = step
        return path

    # -- callback hooks ----------------------------------------------------

    def restore_for_fit(
        self, model: keras.Model, steps_per_epoch: int | None = None
    ) -> int | None:
        """Restores the last backup before a plain ``fit``.

        Returns the epoch ``fit`` should start at (its ``initial_epoch``),
        as ``keras.callbacks.BackupAndRestore`` resumes, or None without a
        backup. ``BetaVAE.fit`` calls it for you.

        Raises:
            ValueError: a backup exists but the steps per epoch are unknown.
        """
        if steps_per_epoch is not None and self.steps_per_epoch is None:
            self.steps_per_epoch = check_int(
                "steps_per_epoch", steps_per_epoch, minimum=1
            )
        if self.read_state() is not None and self.steps_per_epoch is None:
            raise ValueError(
                "to resume from a backup, give TrainingBackup or fit a "
                "steps_per_epoch"
            )
        step = self.restore(model, metrics=False)
        return None if step is None else step // self.steps_per_epoch

    def on_train_begin(self, logs=None):
        if not self.restored and self.read_state() is not None:
            raise ValueError(
                f"{self.backup_dir} holds a backup that was not restored: "
                "BetaVAE.fit restores it; for other models call "
                "backup.restore_for_fit(model) and pass the epoch it returns "
                "as fit's initial_epoch"
            )
        self.restored = True

    def on_epoch_begin(self, epoch, logs=None):
        if self._pending_metrics is None:
            return
        for metric, values in zip(self.model.metrics, self._pending_metrics):
            for variable, value in zip(metric.variables, values):
                variable.assign(np.asarray(value, dtype=variable.dtype))
        self._pending_metrics = None

    def on_train_batch_end(self, batch, logs=None):
        step = int(_numpy(self.model.optimizer.iterations))
        spe = self._steps_per_epoch()
        if spe and step % spe == 0:
            return  # the epoch's last step: saved in on_epoch_end
        if step % self.save_freq == 0 and step != self._last_saved_step:
            self.save(logs)

    def on_epoch_end(self, epoch, logs=None):
        step = int(_numpy(self.model.optimizer.iterations))
        if step != self._last_saved_step:
            self.save(logs)

    def on_train_end(self, logs=None):
        if self.delete_on_end:
            self.delete()

    def delete(self) -> None:
        """Removes the backup folder (after a successful run)."""
        if os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _seed_variables(model: keras.Model) -> list:
    """State variables of the model's SeedGenerators, in a fixed order.

    ``BetaVAE.seed_generators`` lists them; another model's are not backed
    up (its noise restarts from its seed on resume).
    """
    return [g.state for g in getattr(model, "seed_generators", [])]


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training on the first NaN or inf loss, with a clear message.

    Raises ``NonFiniteLossError`` (a ``RuntimeError``) from the batch whose
    logged loss is not finite, naming the global step (optimiser steps
    taken, counting the bad one), epoch and batch, and the last good backup
    of ``backup`` when given. Raising, rather than only setting
    ``stop_training`` as ``keras.callbacks.TerminateOnNaN`` does, ends
    ``fit`` at once, so code after ``fit`` (saving the model) never runs on
    the corrupted weights and ``on_train_end`` callbacks (which would delete
    the backup) are skipped.

    Args:
        backup: TrainingBackup or None. Named in the message.
        monitor: sequence of str. Logged values to check. Defaults to
            ("loss",).
    """

    def __init__(
        self,
        backup: TrainingBackup | None = None,
        monitor: tuple[str, ...] = ("loss",),
    ):
        super().__init__()
        self.backup = backup
        self.monitor = tuple(monitor)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        for key in self.monitor:
            if key not in logs:
                continue
            value = float(logs[key])
            if math.isfinite(value):
                continue
            step = int(_numpy(self.model.optimizer.iterations))
            if self.backup is not None and self.backup.last_checkpoint:
                where = (
                    f"the last good backup is {self.backup.last_checkpoint} "
                    f"(step {self.backup.last_step})"
                )
            elif self.backup is not None:
                where = "no backup had been written yet"
            else:
                where = "no backup callback was used"
            self.model.stop_training = True
            raise NonFiniteLossError(
                f"{key} became {value} at training step {step} (epoch "
                f"{self._epoch + 1}); training stopped and no model file "
                f"was written from these weights; {where}"
            )
