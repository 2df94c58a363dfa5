"""The beta-VAE family side by side: every objective at two of its settings
x seeds, one budget, five metrics, and which factors got a latent.

A comparison is a sweep (``keras_bvae.runs.sweep``) whose grid spans
objectives: it shares the sweep's resumable ``results.csv`` and run folders,
then adds per run the factors that own a latent (``label_latents``: the
factor a latent carries most, by normalised mutual information) and writes
a table (``comparison.md``) and a figure (``comparison.png``: each score
per method, each seed a point).

Locatello et al. (ICML 2019) trained each objective at six settings
(``Objective.study_grid``) for 300,000 steps; the default here takes the
second and fourth value of each grid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from keras_bvae.files import write_json, write_text
from keras_bvae.objectives import OBJECTIVES
from keras_bvae.plotting import new_figure, save_figure
from keras_bvae.runs.sweep import (
    BASE_COLUMNS,
    RunSpec,
    read_results,
    run_sweep,
    write_results,
)
from keras_bvae.validation import check_int

__all__ = [
    "FAMILY",
    "FIVE_METRICS",
    "add_factor_latents",
    "comparison_grid",
    "comparison_table",
    "default_values",
    "plot_comparison",
    "run_comparison",
    "write_comparison",
]

FAMILY = (
    "beta_vae",
    "annealed_vae",
    "beta_tcvae",
    "factor_vae",
    "dip_vae_i",
    "dip_vae_ii",
)
FIVE_METRICS = ("beta_vae", "factor_vae", "mig", "dci", "sap")
# The score columns the table and figure show, one per metric.
HEADLINE_SCORES = (
    "beta_vae_eval_accuracy",
    "factor_vae_eval_accuracy",
    "mig",
    "dci_disentanglement",
    "sap",
)


def default_values(objectives: Sequence[str] = FAMILY) -> dict:
    """{objective: (2nd, 4th value of its ``study_grid``)}.

    Raises:
        ValueError: an unknown objective (the message lists the names).
    """
    unknown = sorted(set(objectives) - set(OBJECTIVES))
    if unknown:
        raise ValueError(
            f"unknown objectives {unknown}; choose from {sorted(OBJECTIVES)}"
        )
    return {
        name: tuple(OBJECTIVES[name].study_grid[i] for i in (1, 3))
        for name in objectives
    }


def comparison_grid(
    values: Mapping[str, Sequence[float]],
    seeds: Sequence[int] = (0, 1),
    latent_dim: int = 10,
) -> list[RunSpec]:
    """Runs for every objective x its values x seed, seed-major.

    Args:
        values: {objective name: settings of its ``hyperparameter``}.
        seeds: the seeds of every setting.
        latent_dim: int. Latent size M of every run.

    Raises:
        ValueError: an unknown objective, no values or no seeds.
    """
    if not values or not list(seeds):
        raise ValueError("give at least one objective with values and a seed")
    check_int("latent_dim", latent_dim, minimum=1)
    grid = []
    for seed in seeds:
        for name, settings in values.items():
            if name not in OBJECTIVES:
                raise ValueError(
                    f"unknown objective {name!r}; choose from "
                    f"{sorted(OBJECTIVES)}"
                )
            if not list(settings):
                raise ValueError(f"no values for {name}")
            for value in settings:
                if name == "beta_vae":
                    spec = RunSpec(latent_dim, int(seed), beta=float(value))
                else:
                    spec = RunSpec(
                        latent_dim, int(seed), objective=name, value=value
                    )
                grid.append(spec)
    return grid


def add_factor_latents(
    rows: Sequence[dict],
    output_dir: str,
    data,
    seed: int = 0,
    num_samples: int = 10000,
) -> list[dict]:
    """Sets ``factor_latents`` of finished rows that lack it.

    The value lists the factors that some active latent (mean KL > 0.1
    nats on the sampled images) carries most, e.g.
    ``"scale+posX+posY"`` (``label_latents``, NMI >= 0.1).
    """
    from keras_bvae.disentanglement import label_latents
    from keras_bvae.disentanglement.udr import codes_and_kl
    from keras_bvae.loading import load

    rows = [dict(row) for row in rows]
    for row in rows:
        if row.get("status") != "ok" or row.get("factor_latents"):
            continue
        model = load(os.path.join(output_dir, "runs", row["run_id"]))
        rng = np.random.default_rng([seed, 11])
        images = data.sample_observations_from_factors(
            data.sample_factors(1000, rng), rng
        )
        _, kl = codes_and_kl(model, images)
        labels = label_latents(
            data,
            model.encode,
            seed=seed,
            num_samples=num_samples,
            active=kl > 0.1,
        )
        owned = [f for f in data.factor_names if f in labels["factors"]]
        row["factor_latents"] = "+".join(owned) if owned else "none"
    return rows


def _method(row: dict) -> str:
    name = row.get("objective") or "beta_vae"
    hyper = row.get("hyperparameter") or "beta"
    # Rows of sweeps made before objectives had a value column: the beta.
    value = row.get("value")
    return f"{name} {hyper}={row['beta'] if value is None else value:g}"


def _present(rows: Sequence[dict], scores: Sequence[str]) -> list[str]:
    """The scores some finished row has; without any of them, every
    numeric score column (e.g. ``udr`` of an unlabelled sweep)."""
    found = [s for s in scores if any(r.get(s) is not None for r in rows)]
    if not found:
        found = sorted(
            {
                k
                for r in rows
                for k, v in r.items()
                if k not in BASE_COLUMNS and isinstance(v, (int, float))
            }
        )
    if not found:
        raise ValueError("no finished run has a score to show")
    return found


def _groups(rows: Sequence[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("status") == "ok":
            groups.setdefault(_method(row), []).append(row)
    return groups


def comparison_table(
    rows: Sequence[dict], scores: Sequence[str] = HEADLINE_SCORES
) -> str:
    """A markdown table: per method, the seeds, the mean of each score
    (seeds' values in brackets) and the factors with a latent per seed."""
    scores = _present(rows, scores)
    header = ["method", "seeds", *scores, "factors with a latent (per seed)"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for method, members in _groups(rows).items():
        members = sorted(members, key=lambda r: r["seed"])
        cells = [method, ", ".join(str(r["seed"]) for r in members)]
        for score in scores:
            found = [r[score] for r in members if r.get(score) is not None]
            if not found:
                cells.append("")
                continue
            each = ", ".join(f"{v:.2f}" for v in found)
            cells.append(f"{np.mean(found):.2f} ({each})")
        cells.append(
            "; ".join(str(r.get("factor_latents") or "?") for r in members)
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_comparison(
    rows: Sequence[dict], scores: Sequence[str] = HEADLINE_SCORES
):
    """One panel per score: a column per method, each seed a point, the
    mean a bar. Returns a matplotlib Figure."""
    groups = _groups(rows)
    if not groups:
        raise ValueError("no finished runs to plot")
    scores = _present(rows, scores)
    methods = list(groups)
    figure = new_figure(3.2 * len(scores), 0.28 * len(methods) + 1.6)
    axes = figure.subplots(1, len(scores), sharey=True, squeeze=False)[0]
    colours = {}
    for ax, score in zip(axes, scores):
        for y, method in enumerate(methods):
            name = method.split()[0]
            colour = colours.setdefault(name, f"C{len(colours)}")
            values = [
                r[score] for r in groups[method] if r.get(score) is not None
            ]
            if not values:
                continue
            ax.barh(y, np.mean(values), color=colour, alpha=0.3)
            ax.plot(values, [y] * len(values), "o", color=colour)
        ax.set_title(score, fontsize=9)
        ax.set_xlim(0, 1)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(methods)))
    axes[0].set_yticklabels(methods, fontsize=8)
    axes[0].invert_yaxis()
    return figure


def run_comparison(
    output_dir: str,
    values: Mapping[str, Sequence[float]] | None = None,
    seeds: Sequence[int] = (0, 1),
    latent_dim: int = 10,
    base_config=None,
    data=None,
    metrics: Sequence[str] = FIVE_METRICS,
    protocol: str = "quick",
    max_runs: int | None = None,
    verbose: int = 1,
    label_samples: int = 10000,
    objective_args: Mapping[str, dict] | None = None,
    tensorboard_dir: str | None = None,
) -> list[dict]:
    """Trains and scores the missing runs, then writes the table and figure.

    Args:
        output_dir: str. Holds ``results.csv``, ``runs/``,
            ``comparison.md``, ``comparison.png`` and ``comparison.json``.
        values: {objective: settings}; defaults to ``default_values()``.
        seeds: seeds of every setting. Defaults to (0, 1).
        latent_dim: int. Latent size of every run. Defaults to 10.
        base_config: TrainConfig or None. The shared budget and settings.
        data: GroundTruthData or None. Defaults to the config's data.
        metrics: metric names. Defaults to the five of ``FIVE_METRICS``.
        protocol: str. "quick" (default) or "full".
        max_runs: int or None. Train at most this many runs now.
        verbose: int. Progress lines (run i/n, elapsed, ETA).
        label_samples: int. Images whose codes label the latents.
        objective_args: {objective: {option: value}} or None. Shared
            arguments of each objective's runs (``run_sweep``).
        tensorboard_dir: str or None. TensorBoard logs, one folder a run.

    Returns:
        All rows of ``results.csv``.

    Raises:
        FolderInUseError: another process is running in ``output_dir``
            (``keras_bvae.runs.lock``); the comparison holds its lock.
        OSError: a file could not be written; names it.
    """
    from keras_bvae.runs.config import TrainConfig, load_data
    from keras_bvae.runs.lock import lock_folder

    with lock_folder(output_dir):
        values = dict(values or default_values())
        base_config = base_config or TrainConfig()
        if data is None:
            data = load_data(base_config)
        grid = comparison_grid(values, seeds, latent_dim)
        rows = run_sweep(
            grid,
            output_dir,
            base_config=base_config,
            data=data,
            metrics=metrics,
            protocol=protocol,
            max_runs=max_runs,
            verbose=verbose,
            udr=False,
            objective_args=objective_args,
            tensorboard_dir=tensorboard_dir,
        )
        rows = add_factor_latents(
            rows, output_dir, data, num_samples=label_samples
        )
        write_results(os.path.join(output_dir, "results.csv"), rows)
        write_comparison(rows, output_dir)
        return rows


def write_comparison(rows_or_dir, output_dir: str | None = None) -> list:
    """Writes ``comparison.md`` and ``comparison.png``; returns the paths."""
    if isinstance(rows_or_dir, (str, os.PathLike)):
        output_dir = output_dir or str(rows_or_dir)
        rows = read_results(str(rows_or_dir))
    else:
        rows = list(rows_or_dir)
    table = os.path.join(output_dir, "comparison.md")
    write_text(table, comparison_table(rows))
    figure = save_figure(
        plot_comparison(rows), os.path.join(output_dir, "comparison.png")
    )
    summary = {
        method: [
            {k: r.get(k) for k in ("seed", *HEADLINE_SCORES, "factor_latents")}
            for r in members
        ]
        for method, members in _groups(rows).items()
    }
    write_json(os.path.join(output_dir, "comparison.json"), summary)
    return [table, figure]
