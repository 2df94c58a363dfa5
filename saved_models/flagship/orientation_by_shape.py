"""Each latent's NMI with orientation among sprites of one shape.

Across all shapes orientation NMI is held down by the shapes' symmetries
(the square repeats every 90 degrees, the ellipse every 180) and by a
latent that codes orientation differently for each shape. This scores
each latent against orientation with the shape fixed: 10,000 simulator
images per shape (seed 0), posterior means in 20 equal-width bins, mutual
information over the orientation factor's entropy, with MIG's estimators.

Usage: python saved_models/flagship/orientation_by_shape.py MODEL
"""

from __future__ import annotations

import argparse

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402

from keras_bvae import load  # noqa: E402
from keras_bvae.datasets.simulator import DSpritesSimulator  # noqa: E402
from keras_bvae.disentanglement import _utils  # noqa: E402

SHAPES = ("square", "ellipse", "heart")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="saved model (folder or .keras)")
    parser.add_argument("--num-samples", type=int, default=10_000)
    args = parser.parse_args(argv)
    data = DSpritesSimulator()
    model = load(args.model)
    orientation = data.factor_names.index("orientation")
    rng = np.random.default_rng(0)
    for shape, name in enumerate(SHAPES):
        factors = data.sample_factors(args.num_samples, rng)
        factors[:, data.factor_names.index("shape")] = shape
        codes = model.encode(
            data.sample_observations_from_factors(factors, rng), batch_size=1024
        )
        angles = factors[:, orientation : orientation + 1]
        mi = _utils.mutual_information_matrix(
            _utils.discretize(codes, 20), angles
        )
        nmi = mi[:, 0] / _utils.entropy(angles[:, 0])
        scores = " ".join(f"z{j} {v:.2f}" for j, v in enumerate(nmi))
        print(f"{name}: {scores}")


if __name__ == "__main__":
    main()
