"""Prints the flagship models' full-protocol scores by recipe and seed, as a
markdown table (each score's mean over seeds, the seeds' values in
brackets, and the factors that own a latent per seed), and draws
``seeds.png`` beside this script: each score per recipe, each seed a point.
The table and figure are ``keras_bvae.runs.compare``'s, fed from the
folders' ``metrics.json``, ``config.json`` and ``latent_factors.json``.

Usage: python experiments/flagship/seed_table.py [FOLDER ...]
    (default: every saved_models/flagship/NAME_sSEED folder with a
    metrics.json)
"""

from __future__ import annotations

import glob
import json
import os
import sys

from keras_bvae.callbacks.disentanglement import flat_scores
from keras_bvae.plotting import save_figure
from keras_bvae.runs.compare import (
    comparison_table,
    plot_comparison,
)

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.normpath(
    os.path.join(HERE, "..", "..", "saved_models", "flagship")
)


def _read(folder: str, name: str) -> dict:
    with open(os.path.join(folder, name)) as handle:
        return json.load(handle)


def recipe(config: dict) -> tuple[str, str, float]:
    """(method, hyperparameter, value) of a run's config.json."""
    if config.get("capacity_max") is not None:
        return "AnnealedVAE", "C_max", config["capacity_max"]
    if config.get("normalized_beta") is not None:
        return "beta-VAE", "norm_beta", config["normalized_beta"]
    beta = config["beta"]
    return ("VAE" if beta == 1 else "beta-VAE"), "beta", beta


def row(folder: str) -> dict:
    """The comparison row of one packaged flagship folder."""
    config = _read(folder, "config.json")
    method, hyperparameter, value = recipe(config)
    labels = _read(folder, "latent_factors.json")
    owned = [f for f in labels["factor_names"] if f in labels["factors"]]
    return {
        "objective": method,
        "hyperparameter": hyperparameter,
        "value": value,
        "seed": config["seed"],
        "status": "ok",
        "factor_latents": "+".join(owned) if owned else "none",
        **flat_scores(_read(folder, "metrics.json")["scores"]),
    }


def main(folders: list[str]) -> str:
    folders = folders or sorted(
        os.path.dirname(path)
        for path in glob.glob(os.path.join(MODELS, "*_s[0-9]*", "metrics.json"))
    )
    if not folders:
        raise SystemExit("no packaged flagship folders (metrics.json) found")
    rows = [row(folder) for folder in folders]
    print(comparison_table(rows), end="")
    return save_figure(plot_comparison(rows), os.path.join(HERE, "seeds.png"))


if __name__ == "__main__":
    print("wrote", main(sys.argv[1:]))
