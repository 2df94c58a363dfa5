"""Draws docs/dsprites_variants.png: the dSprites variants side by side.

One row per variant of ``DSpritesSimulator`` (binary, color, noisy,
scream: Locatello et al. 2019), the same random factors in every column
(seed 0), and the procedural texture the scream patches are cut from.

    python benchmarks/plot_data_variants.py [--out docs/dsprites_variants.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from keras_bvae.datasets.dsprites_variants import VARIANTS, scream_texture
from keras_bvae.datasets.simulator import DSpritesSimulator
from keras_bvae.plotting import new_figure, save_figure

ROOT = Path(__file__).resolve().parents[1]


def rgb_row(images: np.ndarray, gap: int = 4) -> np.ndarray:
    """Tiles (n, 64, 64, C) images in one RGB row on white."""
    images = np.broadcast_to(images, images.shape[:3] + (3,))
    n, size = len(images), images.shape[1]
    out = np.ones((size, n * (size + gap) - gap, 3), np.float32)
    for i, image in enumerate(images):
        out[:, i * (size + gap) : i * (size + gap) + size] = image
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", default=str(ROOT / "docs/dsprites_variants.png")
    )
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args(argv)

    factors = DSpritesSimulator().sample_factors(args.samples, rng=0)
    fig = new_figure(10.0, 6.0)
    grid = fig.add_gridspec(len(VARIANTS), 2, width_ratios=[4.2, 1])
    for row, variant in enumerate(VARIANTS):
        data = DSpritesSimulator(variant=variant)
        images = data.sample_observations_from_factors(factors, rng=row)
        ax = fig.add_subplot(grid[row, 0])
        ax.imshow(rgb_row(images), interpolation="nearest")
        ax.set_ylabel(variant, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(grid[:, 1])
    ax.imshow(scream_texture(), interpolation="nearest")
    ax.set_title("scream texture\n(procedural, 256 px)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.suptitle(
        "DSpritesSimulator(variant=...): same factors per column, seed 0",
        fontsize=11,
    )
    save_figure(fig, args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
