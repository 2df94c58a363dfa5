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

import csv
import dataclasses
import io
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from keras_bvae.files import write_text
from keras_bvae.objectives import (
    OBJECTIVES,
    beta_from_normalized,
    normalized_beta,
)
from keras_bvae.validation import check_int, check_number

__all__ = [
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
    "reconstruction_loss",
    "kl",
    "train_reconstruction_loss",
    "train_kl",
    "train_seconds",
    "eval_seconds",
    "finished_utc",
)


def _number_text(value: float) -> str:
    return f"{value:g}"


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One grid point: an objective and its setting, a latent size, a seed.

    Args:
        latent_dim: int. Latent size M.
        seed: int. Seed of the run (weights, data order, noise).
        beta: float or None. Raw KL weight ("beta_vae").
        normalized_beta: float or None. beta * M / N; give this or beta
            ("beta_vae").
        objective: str. A name in ``keras_bvae.objectives.OBJECTIVES``.
            Defaults to "beta_vae".
        value: float or None. The objective's ``hyperparameter`` (e.g.
            FactorVAE's gamma), for objectives other than "beta_vae".
    """

    latent_dim: int
    seed: int = 0
    beta: float | None = None
    normalized_beta: float | None = None
    objective: str = "beta_vae"
    value: float | None = None

    def __post_init__(self):
        check_int("latent_dim", self.latent_dim, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.objective != "beta_vae":
            if self.objective not in OBJECTIVES:
                raise ValueError(
                    f"unknown objective {self.objective!r}; choose one of "
                    f"{sorted(OBJECTIVES)}"
                )
            if self.value is None or self.beta is not None:
                raise ValueError(
                    f"a {self.objective} run takes value= (its "
                    f"{self.hyperparameter}), not beta; got value="
                    f"{self.value!r}, beta={self.beta!r}"
                )
            check_number(self.hyperparameter, self.value, minimum=0.0)
            return
        if self.value is not None:
            raise ValueError("a beta_vae run takes beta or normalized_beta")
        if (self.beta is None) == (self.normalized_beta is None):
            raise ValueError(
                "give exactly one of beta and normalized_beta; got beta="
                f"{self.beta!r}, normalized_beta={self.normalized_beta!r}"
            )
        value = self.beta if self.beta is not None else self.normalized_beta
        check_number("beta", value, minimum=0.0)

    @property
    def hyperparameter(self) -> str:
        """The setting the grid varies (``Objective.hyperparameter``)."""
        return OBJECTIVES[self.objective].hyperparameter

    @property
    def setting(self) -> dict[str, float]:
        """This run's objective arguments (``TrainConfig.objective_args``)."""
        if self.objective == "beta_vae":
            if self.beta is not None:
                return {"beta": float(self.beta)}
            return {"normalized_beta": float(self.normalized_beta)}
        return {self.hyperparameter: float(self.value)}

    @property
    def run_id(self) -> str:
        """A name unique in the grid: ``m10_nb0.01_s0``, ``m10_b1_s0`` or,
        for other objectives, ``factor_vae_gamma10_m10_s0``."""
        if self.objective != "beta_vae":
            return (
                f"{self.objective}_{self.hyperparameter}"
                f"{_number_text(self.value)}_m{self.latent_dim}_s{self.seed}"
            )
        if self.beta is not None:
            tag = f"b{_number_text(self.beta)}"
        else:
            tag = f"nb{_number_text(self.normalized_beta)}"
        return f"m{self.latent_dim}_{tag}_s{self.seed}"

    def raw_beta(self, input_size: int) -> float | None:
        if self.objective != "beta_vae":
            return None
        if self.beta is not None:
            return float(self.beta)
        return beta_from_normalized(
            self.normalized_beta, self.latent_dim, input_size
        )

    def norm_beta(self, input_size: int) -> float | None:
        if self.objective != "beta_vae":
            return None
        if self.normalized_beta is not None:
            return float(self.normalized_beta)
        return normalized_beta(self.beta, self.latent_dim, input_size)

    def describe(self, input_size: int) -> str:
        """The setting in words, for progress lines."""
        if self.objective != "beta_vae":
            return (
                f"{self.objective}, {self.hyperparameter}="
                f"{_number_text(self.value)}"
            )
        return (
            f"beta={self.raw_beta(input_size):.4g}, normalised "
            f"{self.norm_beta(input_size):.4g}"
        )


def make_grid(
    latent_dims: Iterable[int],
    normalized_betas: Iterable[float] = (),
    betas: Iterable[float] = (),
    seeds: Iterable[int] = (0,),
    objective: str = "beta_vae",
    values: Iterable[float] = (),
) -> list[RunSpec]:
    """The grid latent size x (normalised betas, then raw betas) x seed,
    or, for another objective, latent size x ``values`` of its
    hyperparameter x seed.

    Ordered seed-major, so that a sweep stopped early has covered the whole
    beta x latent grid for the first seeds.

    Raises:
        ValueError: an empty grid, or a bad value (named in the message).
    """
    latent_dims, seeds = list(latent_dims), list(seeds)
    if objective != "beta_vae":
        if list(normalized_betas) or list(betas):
            raise ValueError(
                f"betas are the beta_vae grid; give {objective}'s settings "
                "as values"
            )
        settings = [("value", float(v)) for v in values]
        extra = {"objective": objective}
    else:
        if list(values):
            raise ValueError("the beta_vae grid takes betas, not values")
        settings = [("normalized_beta", float(v)) for v in normalized_betas]
        settings += [("beta", float(v)) for v in betas]
        extra = {}
    values = settings
    if not latent_dims or not seeds or not values:
        raise ValueError(
            "the grid is empty: give at least one latent size, one seed and "
            f"one beta (got latent_dims={latent_dims}, seeds={seeds}, "
            f"betas={[v for _, v in values]})"
        )
    grid = [
        RunSpec(latent_dim=int(m), seed=int(s), **{kind: value}, **extra)
        for s in seeds
        for m in latent_dims
        for kind, value in values
    ]
    ids = [spec.run_id for spec in grid]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"the grid repeats runs: {duplicates}")
    return grid


# -- the results CSV -------------------------------------------------------


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


def _check_same_settings(row: dict, expected: dict) -> None:
    changed = [
        f"{key}: {row.get(key)!r} -> {value!r}"
        for key, value in expected.items()
        if row.get(key) != value
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

    Returns:
        All rows of the results CSV, old and new, as dicts.

    Raises:
        ValueError: a CSV row with this run's id was made with other
            settings (steps, batch size, ...), or bad arguments.
    """
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
        "metric_settings": json.dumps(metric_settings or {}, sort_keys=True),
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
            f"[sweep] {len(grid)} runs in the grid, {len(grid) - missing} "
            f"already in {path}, {len(todo)} to train{limit} ({steps} steps "
            "each)",
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
            "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
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


def add_udr(
    rows: Sequence[dict],
    output_dir: str,
    images: np.ndarray,
    method: str = "lasso",
    verbose: int = 0,
) -> list[dict[str, Any]]:
    """Sets each finished run's ``udr`` among its grid point's seeds.

    Runs that share latent size and beta and differ only in the seed are
    scored with ``keras_bvae.disentanglement.udr`` on their posterior
    means of ``images`` (latents with mean KL <= 0.01 ignored); a grid
    point with fewer than two finished seeds gets no value. With
    ``verbose``, prints the grid points ranked by their median UDR.

    Args:
        rows: results rows (``read_results``).
        output_dir: str. The sweep folder holding ``runs/RUN_ID/``.
        images: float32 (N, H, W, C), the same for every run.
        method: str. "lasso" or "spearman". Defaults to "lasso".
        verbose: int. Print the ranking. Defaults to 0.

    Returns:
        The rows, each with ``udr`` (float or None).
    """
    from keras_bvae.disentanglement.udr import codes_and_kl, udr
    from keras_bvae.loading import load

    rows = [dict(row) for row in rows]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        row["udr"] = None
        if row.get("status") == "ok":
            key = (
                row.get("objective") or "beta_vae",
                row.get("value"),
                row["latent_dim"],
                row["beta_given"],
                row["beta"],
            )
            groups.setdefault(key, []).append(row)
    ranking = []
    for members in groups.values():
        if len(members) < 2:
            continue
        codes, kls = [], []
        for row in members:
            model = load(os.path.join(output_dir, "runs", row["run_id"]))
            code, kl = codes_and_kl(model, images)
            codes.append(code)
            kls.append(kl)
        scores = udr(codes, kls, method=method)["model_scores"]
        for row, score in zip(members, scores):
            row["udr"] = float(score)
        ranking.append((float(np.median(scores)), members[0]))
    if verbose and ranking:
        print("[sweep] grid points ranked by median UDR (no labels used):")
        for score, row in sorted(ranking, key=lambda r: -r[0]):
            print(
                f"[sweep]   udr={score:.3f}  M={row['latent_dim']} "
                f"{_row_setting(row)}",
                flush=True,
            )
    return rows


def udr_agreement(
    rows: Sequence[dict],
    scores: Sequence[str] = ("mig", "dci_disentanglement"),
) -> dict[str, dict[str, float | int]]:
    """Spearman rank correlation of UDR with labelled scores over settings.

    Each setting (objective, value, latent size, beta) counts once, with
    the median over its seeds of ``udr`` and of each labelled score, as
    Duan et al. (ICLR 2020, Table 1) compare rankings of hyperparameters.

    Args:
        rows: results rows with ``udr`` (``add_udr``) and the scores.
        scores: labelled score columns. Defaults to MIG and DCI
            disentanglement.

    Returns:
        {score: {"spearman": rho, "p_value": p, "settings": n}}; a score
        with fewer than three settings holding both values is left out.
    """
    from scipy.stats import spearmanr

    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row.get("status", "ok") == "ok" and row.get("udr") is not None:
            key = (
                row.get("objective") or "beta_vae",
                row.get("value"),
                row["latent_dim"],
                row["beta"],
            )
            groups.setdefault(key, []).append(row)
    result = {}
    for score in scores:
        pairs = [
            (
                np.median([r["udr"] for r in members]),
                np.median([r[score] for r in members]),
            )
            for members in groups.values()
            if all(r.get(score) is not None for r in members)
        ]
        if len(pairs) < 3:
            continue
        rho, p_value = spearmanr(*zip(*pairs))
        result[score] = {
            "spearman": float(rho),
            "p_value": float(p_value),
            "settings": len(pairs),
        }
    return result


def _row_setting(row: dict) -> str:
    """A results row's objective setting in words."""
    objective = row.get("objective") or "beta_vae"
    if objective != "beta_vae":
        return f"{objective} {row['hyperparameter']}={row['value']:g}"
    return f"beta={row['beta']:.4g} (normalised {row['normalized_beta']:.4g})"


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
