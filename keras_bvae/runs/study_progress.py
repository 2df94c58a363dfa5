"""Where a study stands: each run's steps so far and the curves of its
logged scores, for finished runs and runs still training alike.

A run logs the Higgins metric (the study's monitor protocol) and each
factor's best-latent NMI every ``score_every`` steps into its history.csv,
kept under ``backup/`` while it trains (``keras_bvae.runs.training``).
``write_progress`` turns those into ``progress.md`` (a row per run) and
``training_curves.png`` (a panel per logged score, a line per run), so a
study of many hours shows whether its scores have settled before any run
has finished.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from typing import Any

from keras_bvae.files import write_text
from keras_bvae.runs.study import Study, _backup_step, _trained, read_scores

__all__ = ["plot_training_curves", "run_histories", "write_progress"]

METRIC_KEY = "beta_vae_eval_accuracy"


def _read_history(path: str) -> dict[str, list[float]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            try:
                columns.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                columns.setdefault(key, []).append(float("nan"))
    return columns


def run_histories(study: Study, output_dir: str) -> list[dict[str, Any]]:
    """Each started run's state and logged curves.

    Args:
        study: the Study.
        output_dir: its folder (``runs/RUN_ID`` below it).

    Returns:
        One dict per run with a folder, in the study's order: ``run_id``,
        ``spec`` (the RunSpec), ``state`` ("scored", "trained" or
        "training"), ``step`` (steps trained), ``steps`` (curve x values)
        and ``curves`` ({history column: values}).
    """
    spe = study.base.steps_per_epoch
    out = []
    for spec in study.runs:
        folder = os.path.join(output_dir, "runs", spec.run_id)
        if not os.path.isdir(folder):
            continue
        if _trained(folder):
            state = "scored" if read_scores(folder) else "trained"
            history = os.path.join(folder, "history.csv")
            step = study.steps
        else:
            state = "training"
            history = os.path.join(folder, "backup", "history.csv")
            if not os.path.isfile(history):
                # Runs started before 2026-12-06 log beside backup/.
                history = os.path.join(folder, "history.csv")
            step = _backup_step(folder)
        curves = {}
        if os.path.isfile(history) and os.path.getsize(history):
            curves = _read_history(history)
        epochs = curves.get("epoch", [])
        out.append(
            {
                "run_id": spec.run_id,
                "spec": spec,
                "state": state,
                "step": step,
                "steps": [(int(e) + 1) * spe for e in epochs],
                "curves": curves,
            }
        )
    return out


def _curve_keys(histories: Sequence[dict]) -> list[str]:
    keys = []
    for run in histories:
        for key in run["curves"]:
            if not isinstance(key, str):  # a row longer than the header
                continue
            if (key == METRIC_KEY or key.startswith("nmi_")) and (
                key not in keys
            ):
                keys.append(key)
    return sorted(keys, key=lambda k: (k != METRIC_KEY, k))


def plot_training_curves(histories: Sequence[dict]):
    """A panel per logged score (the Higgins metric, each factor's NMI),
    a line per run: colour by beta, line style by seed.

    Args:
        histories: ``run_histories(...)``.

    Returns:
        A matplotlib Figure.
    """
    from keras_bvae.plotting import new_figure

    keys = _curve_keys(histories)
    if not keys:
        raise ValueError("no run has logged a score yet")
    columns = min(3, len(keys))
    rows = -(-len(keys) // columns)
    figure = new_figure(4.2 * columns, 3.2 * rows)
    colours = {}
    styles = ("-", "--", ":", "-.")
    for i, key in enumerate(keys):
        ax = figure.add_subplot(rows, columns, i + 1)
        for run in histories:
            if key not in run["curves"]:
                continue
            spec = run["spec"]
            label = spec.run_id
            colour = colours.setdefault(
                (spec.latent_dim, spec.beta, spec.normalized_beta),
                f"C{len(colours) % 10}",
            )
            ax.plot(
                [s / 1000 for s in run["steps"]],
                run["curves"][key],
                styles[spec.seed % len(styles)],
                color=colour,
                marker="o",
                markersize=3,
                label=label,
            )
        ax.set_title(
            "Higgins metric (monitor)" if key == METRIC_KEY else key,
            fontsize=9,
        )
        ax.set_xlabel("thousand steps", fontsize=8)
        ax.set_ylim(0.0, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _last_finite(values: Sequence[float]) -> str:
    """The last logged value (epochs without a score log an empty cell)."""
    finite = [v for v in values if math.isfinite(v)]
    return f"{finite[-1]:.3f}" if finite else ""


def _progress_table(study: Study, histories: Sequence[dict]) -> str:
    keys = _curve_keys(histories)
    head = ["run", "state", "steps"] + [
        "Higgins (monitor)" if k == METRIC_KEY else k for k in keys
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for run in histories:
        last = [_last_finite(run["curves"].get(k, [])) for k in keys]
        lines.append(
            "| "
            + " | ".join(
                [
                    run["run_id"],
                    run["state"],
                    f"{run['step']:,} / {study.steps:,}",
                    *last,
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def write_progress(study: Study, output_dir: str) -> list[str]:
    """Writes ``progress.md`` and, once a score is logged,
    ``training_curves.png`` into ``output_dir``.

    Args:
        study: the Study.
        output_dir: its folder.

    Returns:
        The paths written ([] if no run has started).

    Example:
        >>> write_progress(get_study("higgins2017"), "runs/higgins2017")
    """
    from keras_bvae.plotting import save_figure

    histories = run_histories(study, output_dir)
    if not histories:
        return []
    left = len(study.runs) - sum(r["state"] == "scored" for r in histories)
    text = (
        f"# {study.name}: progress\n\n"
        f"{len(study.runs)} runs of {study.steps:,} steps; {left} not "
        f"finished. Scores: the last logged value (every "
        f"{study.base.steps_per_epoch:,} steps).\n\n"
        + _progress_table(study, histories)
    )
    paths = [write_text(os.path.join(output_dir, "progress.md"), text)]
    if _curve_keys(histories):
        path = os.path.join(output_dir, "training_curves.png")
        paths.append(save_figure(plot_training_curves(histories), path))
    return paths
