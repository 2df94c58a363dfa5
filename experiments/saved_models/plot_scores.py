"""Draws saved_models/scores_vs_beta.png: each committed model's
full-protocol scores (metrics.json) against its beta, one panel per metric.

Usage: .venv/bin/python experiments/saved_models/plot_scores.py [MODELS]
    (MODELS: the folder of model folders, default saved_models/; the
    figure is written into it)
"""

import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.normpath(os.path.join(HERE, "..", "..", "saved_models"))
PANELS = (  # (title, metric, key)
    ("Higgins (beta-VAE) score", "beta_vae", "eval_accuracy"),
    ("FactorVAE score", "factor_vae", "eval_accuracy"),
    ("MIG", "mig", "mig"),
    ("DCI disentanglement", "dci", "disentanglement"),
    ("SAP", "sap", "sap"),
)


def read_models(root: str = MODELS) -> list[dict]:
    """(name, beta, scores) of every folder with a metrics.json, by beta."""
    models = []
    for name in sorted(os.listdir(root)):
        metrics = os.path.join(root, name, "metrics.json")
        if not os.path.isfile(metrics):
            continue
        with open(os.path.join(root, name, "config.json")) as handle:
            config = json.load(handle)["model"]
        beta = config["beta"]
        if beta is None:  # given as normalised beta = beta * M / N
            pixels = math.prod(config["image_shape"])
            beta = config["normalized_beta"] * pixels / config["latent_dim"]
        with open(metrics) as handle:
            scores = json.load(handle)["scores"]
        models.append({"name": name, "beta": beta, "scores": scores})
    return sorted(models, key=lambda m: m["beta"])


def main(root: str = MODELS) -> str:
    models = read_models(root)
    if not models:
        raise SystemExit(f"no */metrics.json under {root}")
    betas = [m["beta"] for m in models]
    figure, axes = plt.subplots(1, len(PANELS), figsize=(3.0 * len(PANELS), 3))
    for ax, (title, metric, key) in zip(axes, PANELS):
        values = [m["scores"][metric][key] for m in models]
        ax.plot(betas, values, marker="o", color="tab:blue")
        for beta, value in zip(betas, values):
            ax.annotate(
                f"{value:.3f}",
                (beta, value),
                fontsize=7,
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
            )
        ax.set_xscale("log")
        ax.margins(x=0.15)
        ax.set_xticks(betas, [f"{b:.3g}" for b in betas])
        ax.minorticks_off()
        ax.set_xlabel("beta (1 = plain VAE)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + 0.1 * (high - low))
    figure.suptitle(
        "saved_models: Burgess conv, 10 latents, 30,000 steps, seed 0; "
        "full protocol",
        fontsize=10,
    )
    figure.tight_layout()
    path = os.path.join(root, "scores_vs_beta.png")
    figure.savefig(path, dpi=110)
    print(f"wrote {path} ({', '.join(m['name'] for m in models)})")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
