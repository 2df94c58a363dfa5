"""``keras-bvae traverse MODEL``: pictures of a saved model."""

from __future__ import annotations

import argparse
import os


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .keras file or a saved model folder")
    parser.add_argument("--output-dir", "--out", default=None,
                        help="where to write the PNGs (default: beside the "
                        "model)")
    parser.add_argument("--data", default="dsprites-sim")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from keras_bvae import datasets
    from keras_bvae.loading import load
    from keras_bvae.runs.training import save_pictures

    model = load(args.model)
    out = args.output_dir or (
        args.model if os.path.isdir(args.model)
        else os.path.dirname(os.path.abspath(args.model))
    )
    data = datasets.get_data(args.data)
    _, images = data.sample(8, np.random.default_rng(args.seed))
    q_z, p_z = model.posterior(images), model.prior()
    kl_per_dim = q_z.distribution.kl_divergence(p_z.distribution)
    kl_per_dim = kl_per_dim.numpy().mean(0)
    save_pictures(model, images, out, kl_per_dim=kl_per_dim)
    print(f"wrote {out}/reconstructions.png and {out}/traversals.png")
    return 0
