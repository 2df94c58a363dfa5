"""UDR (Duan et al., ICLR 2020) of the committed models that have a seed
repeat: ``saved_models/{vae_b1,beta_vae_b12}`` (training seed 0) and
``saved_models/seed1/...`` (seed 1).

Each group is one hyperparameter setting trained from two seeds, so each
model's UDR is its single pair score. The images are 1,000 simulator
samples (seed 0), as in the paper; a latent is informative when its mean
KL to the standard normal prior exceeds 0.01. The labelled scores of
``metrics.json`` (full protocol) are printed beside them.

    python validate/udr_saved_models.py
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_bvae.onednn import prefer_onednn_kernels  # noqa: E402

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402

import keras_bvae  # noqa: E402
from keras_bvae import disentanglement as dis  # noqa: E402
from keras_bvae.datasets import DSpritesSimulator  # noqa: E402

GROUPS = {
    "vae_b1": ["saved_models/vae_b1", "saved_models/seed1/vae_b1"],
    "beta_vae_b12": [
        "saved_models/beta_vae_b12",
        "saved_models/seed1/beta_vae_b12",
    ],
}


def codes_and_kl(folder: str, images: np.ndarray):
    """Posterior means and each latent's mean KL to N(0, 1)."""
    mean, logvar = keras_bvae.load(folder).posterior_params(images)
    kl = 0.5 * (mean**2 + np.exp(logvar) - logvar - 1.0)
    return mean, kl.mean(axis=0)


def main() -> None:
    _, images = DSpritesSimulator().sample(1000, rng=0)
    for group, folders in GROUPS.items():
        encoded = [codes_and_kl(f, images) for f in folders]
        codes = [c for c, _ in encoded]
        kls = [k for _, k in encoded]
        for method in ("lasso", "spearman"):
            result = dis.udr(codes, kls, method=method)
            scores = " ".join(f"{s:.3f}" for s in result["model_scores"])
            print(
                f"{group:14s} UDR-{method:8s} {scores}  informative latents "
                f"{result['num_informative']}"
            )
        for folder in folders:
            with open(os.path.join(folder, "metrics.json")) as handle:
                s = json.load(handle)["scores"]
            print(
                f"{'':14s} {folder}: MIG {s['mig']['mig']:.3f}, DCI dis "
                f"{s['dci']['disentanglement']:.3f}, FactorVAE "
                f"{s['factor_vae']['eval_accuracy']:.3f}"
            )


if __name__ == "__main__":
    main()
