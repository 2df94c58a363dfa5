"""Probe: does capacity annealing open new latents when it cannot meet C by
narrowing posteriors?

Resumes the flagship AnnealedVAE from one of its kept backups (weights,
Adam state and step, so the capacity schedule continues where it was) and
trains on with every posterior log-variance held at or above ``--floor``
(a hard floor applied after the encoder, in this script only). Without the
floor the run met its rising C by shrinking the posterior variance of the
three latents it had (experiments/flagship/latent_variance.py). With it,
each latent's KL is capped near 0.5 (mean^2 - floor - 1) + ...; the rest of
C has to come from elsewhere. Prints each latent's KL every 1,000 steps
and, at the end, which factor each latent carries (``label_latents``).

Usage (from the repository root):
    python experiments/capacity_probe/variance_floor.py RUN_DIR WEIGHTS \\
        --floor -6.9 --steps 8000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import tensorflow as tf

import keras_bvae.distributions as dists
from keras_bvae import datasets
from keras_bvae.disentanglement.latent_factors import label_latents
from keras_bvae.runs.config import model_for_run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's folder (its config.json)")
    parser.add_argument("weights", help="a step-*.weights.h5 backup")
    parser.add_argument("--floor", type=float, default=float(np.log(1e-3)))
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args(argv)
    unfloored = dists.split_posterior_params

    def floored(params):
        mean, logvar = unfloored(params)
        return mean, tf.maximum(logvar, args.floor)

    dists.split_posterior_params = floored  # model.py looks it up per call
    config, data, model = model_for_run(args.run)
    model.load_weights(args.weights)
    start = int(model.optimizer.iterations.numpy())
    print(f"resumed at step {start}, floor logvar {args.floor:.2f}")
    train = datasets.make_dataset(data, batch_size=64, seed=args.seed)
    started = time.time()
    history = model.fit(
        train, epochs=args.steps // 1000, steps_per_epoch=1000, verbose=0
    )
    for epoch in range(len(history.history["kl"])):
        logs = {k: v[epoch] for k, v in history.history.items()}
        kl = " ".join(
            f"{logs[f'kl_{j}']:.2f}" for j in range(config.latent_dim)
        )
        print(
            f"step {start + 1000 * (epoch + 1)}: KL {logs['kl']:.2f} "
            f"[{kl}] reconstruction {logs['reconstruction_loss']:.1f}"
        )
    print(f"{args.steps} steps in {time.time() - started:.0f} s")
    kl_now = np.array(
        [history.history[f"kl_{j}"][-1] for j in range(config.latent_dim)]
    )
    result = label_latents(data, model.encode, seed=0, active=kl_now > 0.1)
    print("\n".join(result["labels"]))


if __name__ == "__main__":
    main()
