"""A sweep's ``results.csv``: one row a run, read and rewritten whole and
atomically, so an interrupted sweep resumes from it."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from typing import Any

from keras_bvae.files import write_text

__all__ = ["BASE_COLUMNS", "RESULTS_NAME", "read_results", "write_results"]

RESULTS_NAME = "results.csv"

# Columns every row has, in order; score columns follow.
BASE_COLUMNS = (
    "run_id",
    "status",
    "objective",
    "hyperparameter",
    "value",
    "latent_dim",
    "seed",
    "beta",
    "normalized_beta",
    "beta_given",
    "steps",
    "batch_size",
    "architecture",
    "data",
    "image_size",
    "channels",
    "protocol",
    "metric_settings",
    "optimizer",
    "learning_rate",
    "precision",
    "objective_args",
    "reconstruction_loss",
    "kl",
    "train_reconstruction_loss",
    "train_kl",
    "train_seconds",
    "eval_seconds",
    "finished_utc",
)


def read_results(path: str) -> list[dict[str, Any]]:
    """Rows of a results CSV, numbers as float/int; [] if there is none."""
    if os.path.isdir(path):
        path = os.path.join(path, RESULTS_NAME)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: _parse(v) for k, v in row.items()} for row in rows]


def _parse(text: str):
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def write_results(path: str, rows: Sequence[dict]) -> None:
    """Rewrites the whole results CSV atomically (``keras_bvae.files``)."""
    columns = list(BASE_COLUMNS)
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    write_text(path, buffer.getvalue())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
