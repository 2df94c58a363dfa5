"""What each used latent's code varies with, at chosen steps of a long run.

For each latent whose posterior means vary (variance above 1e-3) on 20,000
simulator images, prints: the variance of the means; the mean posterior
variance (the noise the decoder sees); the share of the means' variance
that each factor explains alone (variance of the per-value group means);
the share an additive model of all five factors leaves unexplained (the
code's dependence on combinations of factors); and that unexplained
variance against the posterior noise, as Gaussian-channel nats
0.5 log(1 + unexplained / noise). A latent whose KL grows while its
factor shares stay put spends the rate on resolving ever smaller
variation, not on a new factor.

Usage: python experiments/flagship/latent_variance.py RUN_DIR SNAPSHOTS
    STEP[,STEP...]
"""

from __future__ import annotations

import argparse

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402
from factor_emergence import snapshot_steps  # noqa: E402

from keras_bvae.runs.config import model_for_run  # noqa: E402


def variance_shares(means, logvars, factors, factor_names, min_var=1e-3):
    """One line per latent whose means vary: shares of variance by factor."""
    lines = []
    for j in range(means.shape[1]):
        m = means[:, j]
        var = m.var()
        if var < min_var:
            continue
        noise = np.exp(logvars[:, j]).mean()
        shares, columns = [], [np.ones((len(m), 1))]
        for k, name in enumerate(factor_names):
            group = factors[:, k]
            counts = np.bincount(group)
            group_means = np.bincount(group, m) / np.maximum(counts, 1)
            share = ((group_means[group] - m.mean()) ** 2).mean() / var
            shares.append(f"{name} {share:.3f}")
            columns.append(np.eye(group.max() + 1)[group][:, 1:])
        design = np.concatenate(columns, axis=1)
        coef, *_ = np.linalg.lstsq(design, m, rcond=None)
        rest = ((m - design @ coef) ** 2).mean()
        lines.append(
            f"z{j}: variance {var:.3f}, posterior noise {noise:.2e}; "
            f"share by factor: {', '.join(shares)}; not additive "
            f"{rest / var:.4f} ({rest:.2e}, "
            f"{0.5 * np.log1p(rest / noise):.2f} nats over the noise)"
        )
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's folder (its config.json)")
    parser.add_argument("snapshots", help="folder of step-*.weights.h5")
    parser.add_argument("steps", help="comma-separated steps")
    parser.add_argument("--images", type=int, default=20_000)
    args = parser.parse_args(argv)
    _, data, model = model_for_run(args.run)
    factors, images = data.sample(args.images, rng=1)
    paths = dict(snapshot_steps(args.snapshots))
    for step in (int(s) for s in args.steps.split(",")):
        model.load_weights(paths[step])
        means, logvars = model.posterior_params(images)
        print(f"step {step}")
        for line in variance_shares(means, logvars, factors, data.factor_names):
            print("  " + line)


if __name__ == "__main__":
    main()
