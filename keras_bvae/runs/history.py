"""The history files of a run, and callbacks seen across several ``fit``s.

``HistoryCSV`` writes history.csv; ``truncate_history`` cuts rows an
interrupted run wrote after its last backup; ``OneTrainingRun`` shows
callbacks the one or two ``fit`` calls of a (resumed) run as one run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

import keras

from keras_bvae.files import naming_path, write_text

__all__ = ["HistoryCSV", "OneTrainingRun", "truncate_history"]


class HistoryCSV(keras.callbacks.CSVLogger):
    """CSVLogger for history.csv with the run's own columns.

    Keras's CSVLogger fixes its columns at the first epoch and, when that
    epoch has no validation logs, adds an empty ``val_*`` twin of every
    column. This one takes the first epoch's keys plus ``extra_keys`` (the
    ``log_keys`` of callbacks that write scores only some epochs, such as
    ``DisentanglementCallback(every_n_epochs=5)``) and adds no ``val_*``
    columns; a key missing in an epoch is written as NA.

    A failed write (no space, ...) raises ``OSError`` naming the file.

    Args:
        filename: str. The CSV path.
        append: bool. Append to an existing file (resume).
        extra_keys: log keys to keep a column for even if the first epoch
            lacks them.
    """

    def __init__(self, filename: str, append: bool = False, extra_keys=()):
        super().__init__(filename, append=append)
        self.extra_keys = tuple(extra_keys)

    def on_train_begin(self, logs=None):
        try:
            super().on_train_begin(logs)
        except OSError as error:
            raise naming_path(error, self.filename) from error

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(set(logs) | set(self.extra_keys))
        try:
            super().on_epoch_end(epoch, logs)
        except OSError as error:
            # Closed now (the unwritten rest dropped), not at exit with an
            # "Exception ignored" traceback; resume cuts the partial row.
            with contextlib.suppress(OSError):
                self.csv_file.close()
            raise naming_path(error, self.filename) from error


def truncate_history(path: str, epochs_done: int) -> None:
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
        write_text(path, "".join(kept))


class OneTrainingRun(keras.callbacks.Callback):
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
        OneTrainingRun,
        _hook,
        lambda self, *args, _hook=_hook, **kwargs: self._forward(
            _hook, *args, **kwargs
        ),
    )
