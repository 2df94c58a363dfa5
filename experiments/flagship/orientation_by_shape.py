"""Each latent's NMI with orientation among sprites of one shape.

Across all shapes orientation NMI is held down by the shapes' symmetries
(the square repeats every 90 degrees, the ellipse every 180) and by a
latent that codes orientation differently for each shape. This scores
each latent against orientation with the shape fixed: 10,000 simulator
images per shape (seed 0), posterior means in 20 equal-width bins, mutual
information over the orientation factor's entropy, with MIG's estimators.

Usage: python experiments/flagship/orientation_by_shape.py MODEL
"""

from __future__ import annotations

import argparse

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402

from keras_bvae import load  # noqa: E402
from keras_bvae.datasets.simulator import (  # noqa: E402
    FACTOR_VALUES,
    DSpritesSimulator,
)
from keras_bvae.disentanglement import _utils  # noqa: E402

SHAPES = ("square", "ellipse", "heart")
# The angle after which each shape looks the same again.
PERIODS = (np.pi / 2, np.pi, 2 * np.pi)


def orientation_nmi(codes: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Each code column's mutual information with ``angles`` over H(angles)."""
    mi = _utils.mutual_information_matrix(_utils.discretize(codes, 20), angles)
    return mi[:, 0] / _utils.entropy(angles[:, 0])


def visible_angle(angle_classes: np.ndarray, shape: int) -> np.ndarray:
    """The oracle latent: angle modulo the shape's period, over the period."""
    angles = FACTOR_VALUES[2][angle_classes]
    return np.mod(angles, PERIODS[shape]) / PERIODS[shape]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "model",
        nargs="?",
        help="saved model (folder or .keras); none: the oracle",
    )
    parser.add_argument("--num-samples", type=int, default=10_000)
    args = parser.parse_args(argv)
    data = DSpritesSimulator()
    model = load(args.model) if args.model else None
    orientation = data.factor_names.index("orientation")
    rng = np.random.default_rng(0)
    oracle, all_angles = [], []
    for shape, name in enumerate(SHAPES):
        factors = data.sample_factors(args.num_samples, rng)
        factors[:, data.factor_names.index("shape")] = shape
        angles = factors[:, orientation : orientation + 1]
        if model is None:
            codes = visible_angle(angles, shape)
            oracle.append(codes)
            all_angles.append(angles)
        else:
            codes = model.encode(
                data.sample_observations_from_factors(factors, rng),
                batch_size=1024,
            )
        nmi = orientation_nmi(codes, angles)
        scores = " ".join(f"z{j} {v:.2f}" for j, v in enumerate(nmi))
        print(f"{name}: {scores}")
    if model is None:
        (nmi,) = orientation_nmi(
            np.concatenate(oracle), np.concatenate(all_angles)
        )
        print(f"all shapes: z0 {nmi:.2f}")


if __name__ == "__main__":
    main()
