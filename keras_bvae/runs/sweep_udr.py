"""Unsupervised Disentanglement Ranking of a sweep's runs (Duan et al.,
ICLR 2020): each grid point's seeds scored against each other
(``add_udr``), and how the ranking agrees with the labelled scores
(``udr_agreement``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["add_udr", "udr_agreement"]


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
