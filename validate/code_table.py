"""Encodes every dSprites factor combination once: a code lookup table.

The simulator renders each of the 737,280 factor combinations exactly and
without randomness, so a model's posterior mean is a fixed function of the
factor vector. Encoding all combinations once (about 6 minutes on one core
for the 10-latent conv encoder) turns every later evaluation of that model
into a table lookup, which lets ``compare_disentanglement_lib.py`` repeat
the full protocol of both implementations over many seeds.

    python validate/code_table.py saved_models/beta_vae_b12 \\
        validate/cache/beta_vae_b12.npy

The table is float32 (737280, D); row i holds the code of the image at row i
of the real data set (``DSpritesSimulator.index_of``).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import keras_bvae  # noqa: E402
from keras_bvae.datasets import DSpritesSimulator  # noqa: E402
from keras_bvae.datasets.simulator import FACTOR_SIZES, NUM_IMAGES  # noqa: E402


def all_factors(start: int, stop: int) -> np.ndarray:
    """Factor vectors of rows [start, stop) of the data set: int64 (n, 5)."""
    rows = np.arange(start, stop)
    return np.stack(np.unravel_index(rows, FACTOR_SIZES), axis=1)


def build_table(model, batch_size: int = 2048) -> np.ndarray:
    """Codes of all 737,280 images, in the data set's row order."""
    data = DSpritesSimulator()
    parts = []
    for start in range(0, NUM_IMAGES, batch_size):
        factors = all_factors(start, min(start + batch_size, NUM_IMAGES))
        images = data.sample_observations_from_factors(factors)
        parts.append(np.asarray(model.encode(images), dtype=np.float32))
    return np.concatenate(parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="saved model folder")
    parser.add_argument("output", help="where to write the .npy table")
    parser.add_argument("--batch-size", type=int, default=2048)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = build_table(keras_bvae.load(args.model), args.batch_size)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    partial = args.output + ".partial.npy"
    np.save(partial, table)
    os.replace(partial, args.output)
    seconds = time.perf_counter() - start
    print(f"{args.model}: {table.shape} codes in {seconds:.0f} s")


if __name__ == "__main__":
    main()
