"""Sweeps of beta x latent size x seed, with a resumable results CSV.

Higgins et al. (ICLR 2017, Fig. 6) choose beta by plotting a
disentanglement score against the normalised beta

    beta_norm = beta * M / N,

M the latent size and N the pixels per image (4096 for dSprites), one line
per M; the score first rises with beta (the posterior is pushed towards the
factorised prior) and then falls (the KL penalty wins and information about
the factors is lost): an inverted U. Since the loss is
``distortion + beta * rate`` (sums over pixels and latents, mean over the
batch), rate (KL) falls and distortion (reconstruction loss) rises with beta.

``run_sweep`` trains one model per grid point with
``keras_bvae.runs.train`` and a ``DisentanglementCallback``, then
appends one row to ``OUTPUT/results.csv``: the settings, the held-out
reconstruction loss and KL of the trained model on a fixed image set, the
last epoch's training averages and the callback's scores. The CSV is
rewritten atomically after every run, so a sweep that is stopped resumes
where it left off: rows already in the CSV are skipped, and the run that was
interrupted resumes from its own backup (see ``keras_bvae.runs.train``). A run
whose loss becomes NaN or inf is recorded with ``status`` "nonfinite: ..."
and no numbers (so a rerun does not retry it); the figures skip it.

``keras_bvae.runs.sweep_plots`` draws the figures from the rows, with error
bars of one standard deviation over seeds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_bvae.runs.grid import RunSpec, make_grid
from keras_bvae.runs.results import (
    BASE_COLUMNS,
    RESULTS_NAME,
    read_results,
    write_results,
)
from keras_bvae.runs.sweep_udr import add_udr, udr_agreement

# RunSpec, make_grid (``runs.grid``), the results CSV (``runs.results``)
# and UDR (``runs.sweep_udr``) are imported here too, where users find them.
__all__ = [
    "BASE_COLUMNS",
    "RunSpec",
    "make_grid",
    "run_sweep",
    "read_results",
    "summarize",
    "add_udr",
    "udr_agreement",
    "held_out_images",
    "RESULTS_NAME",
    "write_results",
]

# -- running ---------------------------------------------------------------


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def held_out_images(data: Any, num: int, seed: int = 0) -> np.ndarray:
    """The fixed held-out images of a sweep or a tuner: float32 (num, ...).

    Drawn with ``np.random.default_rng([seed, 7])`` from the data's factors
    (any image, uniformly, for unlabelled data), so the same seed gives
    the same images in every process. ``run_sweep`` scores reconstruction
    and UDR on them (its metric seed); ``BetaVAEHyperModel`` scores UDR.
    """
    rng = np.random.default_rng([seed, 7])
    images = data.sample_observations_from_factors(
        data.sample_factors(int(num), rng), rng
    )
    return np.asarray(images, np.float32)


def _held_out_terms(model, images: np.ndarray, batch_size: int) -> dict:
    """Mean reconstruction loss and KL of a model on fixed images."""
    totals = {"reconstruction_loss": 0.0, "kl": 0.0}
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        terms = model.loss_terms(batch, training=False)
        for key in totals:
            totals[key] += float(terms[key]) * len(batch)
    return {k: v / len(images) for k, v in totals.items()}


# Settings columns added to results.csv after sweeps had been committed.
LATER_COLUMNS = ("optimizer", "learning_rate", "precision", "objective_args")


def _check_same_settings(row: dict, expected: dict) -> None:
    # Rows written before a column existed (None) match any value of it.
    changed = [
        f"{key}: {row.get(key)!r} -> {value!r}"
        for key, value in expected.items()
        if row.get(key) != value
        and not (key in LATER_COLUMNS and row.get(key) is None)
    ]
    if changed:
        raise ValueError(
            f"results row {row['run_id']!r} was made with other settings "
            f"({'; '.join(changed)}); use another output folder or remove "
            "that row to rerun it"
        )


def run_sweep(
    grid: Sequence[RunSpec],
    output_dir: str,
    base_config=None,
    data: Any = None,
    metrics: Sequence[str] | None = None,
    protocol: str = "quick",
    metric_settings: dict | None = None,
    metric_seed: int = 0,
    eval_images: int = 1024,
    max_runs: int | None = None,
    verbose: int = 1,
    fit_verbose: int | str = 0,
    udr: bool = True,
    objective_args: Mapping[str, dict] | None = None,
    tensorboard_dir: str | None = None,
) -> list[dict[str, Any]]:
    """Trains every grid point not yet in the results CSV; returns all rows.

    Args:
        grid: RunSpecs, e.g. from ``make_grid``.
        output_dir: str. Holds ``results.csv`` and ``runs/RUN_ID/`` (each a
            ``keras_bvae.runs.train`` run folder).
        base_config: TrainConfig or None. Settings shared by all runs
            (steps, batch size, architecture, data, ...); latent_dim, beta
            and seed come from each RunSpec. Defaults to ``TrainConfig()``.
        data: GroundTruthData or None. Training and scoring data; defaults
            to ``get_data(base_config.data)`` with the config's data
            options (``keras_bvae.runs.config.load_data``).
        metrics: metric names for ``DisentanglementCallback``; () for
            none (no callback). Defaults to ("beta_vae",), or () for data
            without factors (unlabelled images), which only the label-free
            metrics ("unsupervised") and the ``udr`` column can score.
        protocol: str. Metric protocol, "quick" or "full".
        metric_settings: dict or None. Protocol overrides (``settings`` of
            the callback).
        metric_seed: int. Seed of the metrics, the same for every run.
        eval_images: int. Held-out images, drawn with a fixed seed, on which
            the final reconstruction loss and KL are measured.
        max_runs: int or None. Stop after training this many runs.
        verbose: int. 1 prints a line before and after each run (run i/n,
            elapsed time, ETA).
        fit_verbose: Keras ``fit`` verbosity of each run.
        udr: bool. Add a ``udr`` column: the Unsupervised Disentanglement
            Ranking (Duan et al. 2020, Lasso variant) of each finished run
            among the other seeds of its grid point, from codes of the
            held-out images (no labels used; see ``add_udr``). Defaults to
            True.
        objective_args: {objective name: {option: value}} or None.
            Arguments shared by the runs of an objective (e.g.
            ``{"annealed_vae": {"num_steps": 500}}``), under the grid's own
            setting; ``base_config``'s objective and objective_args are
            not used.
        tensorboard_dir: str or None. TensorBoard logs of each run in
            ``tensorboard_dir/RUN_ID`` (``train``). Defaults to None.

    Returns:
        All rows of the results CSV, old and new, as dicts.

    Raises:
        ValueError: a CSV row with this run's id was made with other
            settings (steps, batch size, ...), or bad arguments.
        FolderInUseError: another process is running in ``output_dir``
            (``keras_bvae.runs.lock``); the sweep holds its lock.
        OSError: a file could not be written; names it.
    """
    from keras_bvae.runs.lock import lock_folder

    with lock_folder(output_dir):
        from keras_bvae.callbacks import DisentanglementCallback
        from keras_bvae.callbacks.backup import NonFiniteLossError
        from keras_bvae.callbacks.disentanglement import flat_scores
        from keras_bvae.disentanglement import (
            LABEL_FREE_METRICS,
            as_ground_truth,
        )
        from keras_bvae.runs.config import load_data
        from keras_bvae.runs.training import TrainConfig, train

        grid = list(grid)
        if not grid:
            raise ValueError("the grid is empty")
        if base_config is None:
            base_config = TrainConfig()
        if isinstance(eval_images, bool) or int(eval_images) < 1:
            raise ValueError(f"eval_images must be >= 1; got {eval_images!r}")
        if data is None:
            data = load_data(base_config)
        if metrics is None:
            metrics = ("beta_vae",) if len(data.factor_sizes) else ()
        if isinstance(metrics, str):
            metrics = (metrics,)
        metrics = tuple(metrics)
        if metrics:
            as_ground_truth(
                data, need_factors=not set(metrics) <= LABEL_FREE_METRICS
            )
        os.makedirs(output_dir, exist_ok=True)
        path = os.path.join(output_dir, RESULTS_NAME)
        rows = read_results(path)
        done = {row["run_id"]: row for row in rows}
        input_size = int(np.prod(data.observation_shape))
        steps = base_config.epochs * base_config.steps_per_epoch
        shared = {
            "steps": steps,
            "batch_size": base_config.batch_size,
            "architecture": base_config.architecture,
            "data": base_config.data,
            "image_size": base_config.image_size,
            "channels": base_config.channels,
            "protocol": protocol,
            "metric_settings": json.dumps(
                metric_settings or {}, sort_keys=True
            ),
            "optimizer": base_config.optimizer,
            "learning_rate": base_config.learning_rate,
            "precision": base_config.precision,
            "objective_args": json.dumps(objective_args or {}, sort_keys=True),
        }
        held_out = held_out_images(data, int(eval_images), metric_seed)

        todo = []
        for spec in grid:
            if spec.run_id in done:
                _check_same_settings(done[spec.run_id], shared)
            else:
                todo.append(spec)
        missing = len(todo)
        if max_runs is not None:
            todo = todo[: int(max_runs)]
        started = time.time()
        if verbose:
            limit = (
                f" (max_runs={max_runs} of {missing} missing)"
                if len(todo) < missing
                else ""
            )
            print(
                f"[sweep] {len(grid)} runs in the grid, "
                f"{len(grid) - missing} already in {path}, {len(todo)} to "
                f"train{limit} ({steps} steps each)",
                flush=True,
            )
        trained_seconds = []
        for i, spec in enumerate(todo, start=1):
            if verbose:
                eta = (
                    _clock(np.mean(trained_seconds) * (len(todo) - i + 1))
                    if trained_seconds
                    else "?"
                )
                print(
                    f"[sweep] run {i}/{len(todo)} {spec.run_id} ("
                    f"{spec.describe(input_size)}): elapsed "
                    f"{_clock(time.time() - started)}, ETA {eta}",
                    flush=True,
                )
            run_started = time.time()
            config = dataclasses.replace(
                base_config,
                output_dir=os.path.join(output_dir, "runs", spec.run_id),
                latent_dim=spec.latent_dim,
                seed=spec.seed,
                objective=spec.objective,
                objective_args={
                    **(objective_args or {}).get(spec.objective, {}),
                    **spec.setting,
                },
            )
            callback = None
            if metrics:
                callback = DisentanglementCallback(
                    data,
                    metrics=metrics,
                    protocol=protocol,
                    every_n_epochs=base_config.epochs,
                    seed=metric_seed,
                    settings=metric_settings,
                    verbose=0,
                )
            ids = {
                "run_id": spec.run_id,
                "objective": spec.objective,
                "hyperparameter": spec.hyperparameter,
                "value": spec.value
                if spec.value is not None
                else spec.raw_beta(input_size),
                "latent_dim": spec.latent_dim,
                "seed": spec.seed,
                "beta": spec.raw_beta(input_size),
                "normalized_beta": spec.norm_beta(input_size),
                "beta_given": None
                if spec.objective != "beta_vae"
                else "beta"
                if spec.beta is not None
                else "normalized",
                **shared,
            }
            try:
                model, history = train(
                    config,
                    callbacks=[callback] if callback else [],
                    verbose=fit_verbose,
                    data=data,
                    tensorboard_dir=tensorboard_dir
                    and os.path.join(tensorboard_dir, spec.run_id),
                )
            except NonFiniteLossError as error:
                message = " ".join(str(error).split())
                rows.append({**ids, "status": f"nonfinite: {message}"})
                write_results(path, rows)
                trained_seconds.append(time.time() - run_started)
                if verbose:
                    print(
                        f"[sweep] run {i}/{len(todo)} {spec.run_id} failed: "
                        f"{message}",
                        flush=True,
                    )
                continue
            eval_started = time.time()
            if callback is None:
                results = {}
            elif callback.results:
                results = callback.results[max(callback.results)]
            else:
                # Resumed from a backup made after the last step (killed while
                # saving): no epoch ran, so score the restored model here.
                callback.set_model(model)
                results = callback.score(protocol)
            scores = flat_scores(results)
            terms = _held_out_terms(model, held_out, base_config.batch_size)
            last = {k: v[-1] for k, v in history.history.items()}
            row = {
                **ids,
                "status": "ok",
                "beta": model.beta,
                "normalized_beta": model.normalized_beta,
                **terms,
                "train_reconstruction_loss": last.get("reconstruction_loss"),
                "train_kl": last.get("kl"),
                "train_seconds": round(eval_started - run_started, 1),
                "eval_seconds": round(time.time() - eval_started, 1),
                "finished_utc": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime()
                ),
                **scores,
            }
            rows.append(row)
            write_results(path, rows)
            trained_seconds.append(time.time() - run_started)
            if verbose:
                text = " ".join(f"{k}={v:.3f}" for k, v in scores.items())
                print(
                    f"[sweep] run {i}/{len(todo)} {spec.run_id} done in "
                    f"{_clock(trained_seconds[-1])}: reconstruction="
                    f"{terms['reconstruction_loss']:.2f} kl={terms['kl']:.2f} "
                    f"{text}",
                    flush=True,
                )
        if udr:
            rows = add_udr(rows, output_dir, held_out[:1000], verbose=verbose)
            write_results(path, rows)
            if verbose:
                for score, agree in udr_agreement(rows).items():
                    print(
                        f"[sweep] UDR vs {score}: Spearman "
                        f"{agree['spearman']:+.2f} over {agree['settings']} "
                        f"settings (p = {agree['p_value']:.2g})",
                        flush=True,
                    )
        if verbose:
            print(
                f"[sweep] {len(trained_seconds)} runs trained in "
                f"{_clock(time.time() - started)}; {len(rows)} rows in {path}",
                flush=True,
            )
        return rows

    # -- summaries and figures -------------------------------------------------


def summarize(
    rows: Sequence[dict], value: str
) -> dict[int, dict[str, np.ndarray]]:
    """Mean and spread of ``value`` over seeds, per latent size and beta.

    Rows whose ``status`` is not "ok" (failed runs) are left out.

    Returns:
        {latent_dim: {"normalized_beta", "beta", "mean", "std", "count",
        "is_beta_one"}} with arrays sorted by beta; ``std`` is the sample
        standard deviation over seeds (0 for a single seed).

    Raises:
        ValueError: no row has the column ``value``.
    """
    rows = [r for r in rows if r.get("status") in (None, "ok")]
    if not any(row.get(value) is not None for row in rows):
        columns = sorted({k for row in rows for k in row})
        raise ValueError(
            f"no results for {value!r}; the rows have columns {columns}"
        )
    groups: dict[int, dict[float, list]] = {}
    for row in rows:
        if row.get(value) is None:
            continue
        key = round(float(row["beta"]), 9)
        groups.setdefault(int(row["latent_dim"]), {}).setdefault(
            key, []
        ).append(row)
    out = {}
    for m, by_beta in sorted(groups.items()):
        betas = sorted(by_beta)
        values = [
            np.array([r[value] for r in by_beta[b]], float) for b in betas
        ]
        out[m] = {
            "beta": np.array(betas),
            "normalized_beta": np.array(
                [float(by_beta[b][0]["normalized_beta"]) for b in betas]
            ),
            "mean": np.array([v.mean() for v in values]),
            "std": np.array(
                [v.std(ddof=1) if len(v) > 1 else 0.0 for v in values]
            ),
            "count": np.array([len(v) for v in values]),
            "is_beta_one": np.isclose(betas, 1.0),
        }
    return out
