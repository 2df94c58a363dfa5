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
of the real data set (``DSpritesSimulator.index_of``): the package's
``keras_bvae.disentanglement.CodesTable``, saved.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_bvae.onednn import prefer_onednn_kernels  # noqa: E402

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402

import keras_bvae  # noqa: E402
from keras_bvae.datasets import DSpritesSimulator  # noqa: E402
from keras_bvae.disentanglement import CodesTable  # noqa: E402


def build_table(model) -> np.ndarray:
    """Codes of all 737,280 images, in the data set's row order."""
    table = CodesTable(DSpritesSimulator(), model.encode)
    return table.codes.astype(np.float32)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="saved model folder")
    parser.add_argument("output", help="where to write the .npy table")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = build_table(keras_bvae.load(args.model))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    partial = args.output + ".partial.npy"
    np.save(partial, table)
    os.replace(partial, args.output)
    seconds = time.perf_counter() - start
    print(f"{args.model}: {table.shape} codes in {seconds:.0f} s")


if __name__ == "__main__":
    main()
