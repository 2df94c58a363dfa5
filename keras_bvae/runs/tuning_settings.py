"""The settings of a ``BetaVAEHyperModel``, checked in one place: what
the trials vary and how a trial is scored (``keras_bvae.runs.tuning``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from keras_bvae.callbacks.disentanglement import log_name
from keras_bvae.disentanglement import SCORE_KEYS
from keras_bvae.disentanglement.udr import METHODS
from keras_bvae.objectives import OBJECTIVES
from keras_bvae.runs.tuning_callbacks import UDR_NAME
from keras_bvae.validation import check_int

__all__ = ["check_scoring", "check_search_space"]


def _score_names(metrics: Sequence[str]) -> list[str]:
    return [log_name(m, k) for m in metrics for k in SCORE_KEYS[m]]


def _positive_floats(name: str, values) -> list[float]:
    values = [float(v) for v in values]
    for v in values:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be finite and >= 0; got {v!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} repeats a value: {values}")
    return values


def check_search_space(
    objective,
    values,
    betas,
    normalized_betas,
    beta_range,
    latent_dims,
    capacity_max,
) -> dict:
    """Checks what the trials vary (one of the beta forms, or
    the objective's values; latent sizes; C_max)."""
    out = {}
    given = [v is not None for v in (betas, normalized_betas, beta_range)]
    if objective not in OBJECTIVES:
        raise ValueError(
            f"unknown objective {objective!r}; choose one of "
            f"{sorted(OBJECTIVES)}"
        )
    out["objective_name"] = objective
    out["values"] = None
    if objective != "beta_vae":
        if any(given) or values is None:
            raise ValueError(
                f"tune {objective} with values= (settings of its "
                f"{OBJECTIVES[objective].hyperparameter}), not betas"
            )
        out["values"] = _positive_floats("values", values)
        given = [True]
    if sum(given) != 1:
        raise ValueError(
            "give exactly one of betas, normalized_betas and beta_range; "
            f"got betas={betas!r}, normalized_betas={normalized_betas!r}, "
            f"beta_range={beta_range!r}"
        )
    out["betas"] = None if betas is None else _positive_floats("betas", betas)
    out["normalized_betas"] = (
        None
        if normalized_betas is None
        else (_positive_floats("normalized_betas", normalized_betas))
    )
    if beta_range is not None:
        low, high = (float(v) for v in beta_range)
        if not (0 < low < high and math.isfinite(high)):
            raise ValueError(
                f"beta_range must be (low, high) with 0 < low < high; "
                f"got {beta_range!r}"
            )
        beta_range = (low, high)
    out["beta_range"] = beta_range
    if isinstance(latent_dims, int):
        latent_dims = [latent_dims]
    out["latent_dims"] = [int(m) for m in latent_dims]
    if not out["latent_dims"] or min(out["latent_dims"]) < 1:
        raise ValueError(
            f"latent_dims must be integers >= 1; got {latent_dims!r}"
        )
    out["capacity_max"] = (
        None
        if capacity_max is None
        else (_positive_floats("capacity_max", capacity_max))
    )
    return out


def check_scoring(
    metrics,
    score,
    reconstruction_weight,
    udr_seeds,
    udr_method,
    udr_images,
) -> dict:
    """Checks how a trial is scored (metrics, score, mix,
    UDR)."""
    out = {}
    if metrics is None:
        metrics = () if score == UDR_NAME else ("beta_vae",)
    out["metrics"] = tuple(metrics)
    unknown = [m for m in out["metrics"] if m not in SCORE_KEYS]
    if unknown:
        raise ValueError(
            f"unknown metrics {unknown!r}; choose from {sorted(SCORE_KEYS)}"
        )
    if not out["metrics"] and score != UDR_NAME:
        raise ValueError(
            "metrics is empty, so nothing scores the trials; give "
            f"metrics from {sorted(SCORE_KEYS)} or score='udr'"
        )
    names = _score_names(out["metrics"])
    if score is None:
        score = next(
            (n for n in names if not n.endswith("train_accuracy")),
            names[0],
        )
    if score not in names and score != UDR_NAME:
        raise ValueError(
            f"score {score!r} is not logged by metrics {out['metrics']}; "
            f"choose from {[*names, UDR_NAME]}"
        )
    out["score"] = score
    if not (
        math.isfinite(reconstruction_weight) and reconstruction_weight >= 0
    ):
        raise ValueError(
            "reconstruction_weight must be finite and >= 0; got "
            f"{reconstruction_weight!r}"
        )
    if score == UDR_NAME and reconstruction_weight > 0:
        raise ValueError(
            "score='udr' takes no reconstruction_weight: UDR is "
            "computed once per trial from several models, and no mix "
            f"with the distortion is defined; got {reconstruction_weight}"
        )
    out["reconstruction_weight"] = float(reconstruction_weight)
    out["udr_seeds"] = check_int("udr_seeds", udr_seeds, minimum=2)
    if udr_method not in METHODS:
        raise ValueError(
            f"udr_method must be one of {METHODS}; got {udr_method!r}"
        )
    out["udr_method"] = udr_method
    out["udr_images"] = check_int("udr_images", udr_images, minimum=2)
    return out
