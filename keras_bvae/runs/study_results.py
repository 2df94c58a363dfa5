"""The results of a study (``keras_bvae.runs.study``): one row a finished
run, the headline table over seeds and the score-vs-normalised-beta
figures, rebuilt from the runs' ``scores.json`` files."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_bvae.files import write_text
from keras_bvae.runs.results import write_results
from keras_bvae.runs.study import Study, read_scores

__all__ = ["study_rows", "write_study_results"]


def study_rows(study: Study, output_dir: str) -> list[dict[str, Any]]:
    """One row per finished run (the sweep's columns and every score)."""
    input_size = int(np.prod(_observation_shape(study)))
    rows = []
    for spec in study.runs:
        folder = os.path.join(output_dir, "runs", spec.run_id)
        scores = read_scores(folder)
        if scores is None:
            continue
        row = {
            "run_id": spec.run_id,
            "objective": "beta_vae",
            "latent_dim": spec.latent_dim,
            "seed": spec.seed,
            "beta": spec.raw_beta(input_size),
            "normalized_beta": spec.norm_beta(input_size),
            "steps": study.steps,
            "status": scores["status"],
        }
        summary = os.path.join(folder, "summary.json")
        if os.path.isfile(summary):
            with open(summary) as handle:
                final = json.load(handle).get("final", {})
            # The last epoch's training means (nats per image).
            for key in ("reconstruction_loss", "kl"):
                row[key] = final.get(key)
        row.update(scores.get("scores", {}))
        for factor, (_, nmi) in scores.get("best_latent", {}).items():
            row[f"nmi_{factor}"] = nmi
        rows.append(row)
    return rows


def _observation_shape(study: Study) -> tuple[int, ...]:
    from keras_bvae.datasets.stream import observation_shape_of
    from keras_bvae.runs.config import load_data

    return tuple(observation_shape_of(load_data(study.base)))


def _table1(study: Study, rows: Sequence[dict]) -> str:
    """Markdown: mean, standard deviation and standard error over seeds of
    every score of the table runs, beside the paper's numbers."""
    table_ids = {r.run_id for r in study.table_runs}
    groups: dict[float, list[dict]] = {}
    for row in rows:
        if row["run_id"] in table_ids and row["status"] == "ok":
            groups.setdefault(row["beta"], []).append(row)
    columns = sorted(
        {k for r in rows for k in r if ":" in k or k.startswith("nmi_")}
    )
    lines = [
        f"# {study.name}: table runs ({study.steps:,} steps)",
        "",
        "Mean +- standard deviation (standard error) over seeds.",
        "",
        "| score | "
        + " | ".join(f"beta = {b:g}" for b in sorted(groups))
        + " |",
        "|---|" + "---|" * len(groups),
    ]
    for column in columns:
        cells = []
        for beta in sorted(groups):
            values = np.array(
                [r[column] for r in groups[beta] if r.get(column) is not None]
            )
            if len(values) == 0:
                cells.append("")
                continue
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            error = std / np.sqrt(len(values))
            cells.append(
                f"{values.mean():.3f} +- {std:.3f} ({error:.3f}, "
                f"n={len(values)})"
            )
        lines.append(f"| {column} | " + " | ".join(cells) + " |")
    lines += ["", study.paper, ""] if study.paper else [""]
    return "\n".join(lines)


def write_study_results(study: Study, output_dir: str) -> list[str]:
    """Writes results.csv, table1.md and, once runs at two or more betas
    are scored, the score-vs-normalised-beta figures (Higgins metric, MIG,
    DCI disentanglement, one per protocol; the sweep's figures) and, with
    the runs' training summaries, the reconstruction and rate-distortion
    figures. Returns the paths written.
    """
    from keras_bvae.plotting import save_figure
    from keras_bvae.runs import sweep_plots

    rows = study_rows(study, output_dir)
    if not rows:
        raise ValueError(f"no finished runs in {output_dir}")
    paths = [os.path.join(output_dir, "results.csv")]
    write_results(paths[0], rows)
    paths.append(
        write_text(os.path.join(output_dir, "table1.md"), _table1(study, rows))
    )
    ok = [
        {k.replace(":", "_"): v for k, v in r.items()}
        for r in rows
        if r["status"] == "ok"
    ]
    if len({r["normalized_beta"] for r in ok}) < 2:
        return paths
    scores = sorted(
        {
            k
            for r in ok
            for k in r
            if k.endswith(("beta_vae_eval_accuracy", "_mig"))
            or k.endswith("dci_disentanglement")
        }
    )
    for score in scores:
        path = os.path.join(output_dir, f"score_vs_beta_{score}.png")
        paths.append(
            save_figure(sweep_plots.plot_score_vs_beta(ok, score), path)
        )
    if all(r.get("reconstruction_loss") is not None for r in ok):
        for name, plot in (
            ("reconstruction_vs_beta", sweep_plots.plot_reconstruction_vs_beta),
            ("rate_distortion", sweep_plots.plot_rate_distortion),
        ):
            path = os.path.join(output_dir, f"{name}.png")
            paths.append(save_figure(plot(ok), path))
    return paths
