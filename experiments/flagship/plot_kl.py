"""Draws FOLDER/kl_per_latent.png: each latent's KL over training, from
FOLDER/history.csv (kl_0 ... per epoch) labelled with FOLDER/
latent_factors.json (``keras-bvae traverse``).

Usage: python experiments/flagship/plot_kl.py FOLDER
"""

import csv
import json
import os
import sys

import numpy as np

from keras_bvae.plotting import plot_kl_per_latent, save_figure


def main(folder: str) -> str:
    with open(os.path.join(folder, "history.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(os.path.join(folder, "config.json")) as handle:
        config = json.load(handle)
    latents = sorted(
        (k for k in rows[0] if k.startswith("kl_") and k[3:].isdigit()),
        key=lambda k: int(k[3:]),
    )
    kl = np.array([[float(r[k]) for k in latents] for r in rows])
    steps = (np.array([int(r["epoch"]) for r in rows]) + 1) * config[
        "steps_per_epoch"
    ]
    labels = None
    path = os.path.join(folder, "latent_factors.json")
    if os.path.exists(path):
        with open(path) as handle:
            labels = json.load(handle)["labels"]
    figure = plot_kl_per_latent(steps, kl, labels)
    return save_figure(figure, os.path.join(folder, "kl_per_latent.png"))


if __name__ == "__main__":
    print(main(sys.argv[1]))
