"""Pictures of a trained beta-VAE: traversals and reconstructions (PNG).

Uses matplotlib's non-interactive Agg canvas, so it works on headless
machines and in CI; in a notebook the returned Figure displays itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_bvae.files import write_atomic

__all__ = [
    "plot_traversals",
    "plot_reconstructions",
    "save_figure",
    "new_axes",
    "new_figure",
    "image_grid",
]


def image_grid(images: np.ndarray, pad: int = 2) -> np.ndarray:
    """Tiles (rows, cols, H, W, C) images into one (R, C) grey image."""
    images = np.asarray(images, np.float32)
    if images.ndim != 5:
        raise ValueError(
            f"images must have shape (rows, cols, H, W, C); got {images.shape}"
        )
    rows, cols, height, width = images.shape[:4]
    grid = np.ones(
        (rows * (height + pad) + pad, cols * (width + pad) + pad), np.float32
    )
    for r in range(rows):
        for c in range(cols):
            top, left = pad + r * (height + pad), pad + c * (width + pad)
            grid[top:top + height, left:left + width] = images[r, c].mean(-1)
    return grid


def new_figure(width: float, height: float) -> Figure:
    """An empty figure on the headless Agg canvas (every figure's start)."""
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def new_axes(width: float = 6.0, height: float = 4.2):
    """A figure with one set of axes: ``(figure, axes)``."""
    figure = new_figure(width, height)
    return figure, figure.add_subplot(1, 1, 1)


def plot_traversals(
    traversals: np.ndarray,
    values: Sequence[float] | None = None,
    dims: Sequence[int] | None = None,
    kl_per_dim: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """One row per latent, one column per value (``BetaVAE.traverse``).

    Rows are labelled with the latent index and, when given, the latent's
    average KL in nats, so active latents are easy to tell apart.
    """
    traversals = np.asarray(traversals)
    rows, cols = traversals.shape[:2]
    dims = list(range(rows)) if dims is None else list(dims)
    figure = new_figure(1.0 + 0.8 * cols, 0.3 + 0.8 * rows)
    axes = figure.subplots(rows, cols, squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(traversals[r, c].mean(-1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                label = f"z{dims[r]}"
                if kl_per_dim is not None:
                    label += f"\nKL {float(kl_per_dim[dims[r]]):.2f}"
                ax.set_ylabel(label, rotation=0, ha="right", va="center",
                              fontsize=8)
            if r == rows - 1 and values is not None:
                ax.set_xlabel(f"{float(values[c]):+.1f}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.subplots_adjust(wspace=0.05, hspace=0.05)
    return figure


def plot_reconstructions(
    images: np.ndarray, reconstructions: np.ndarray, title: str | None = None
) -> Figure:
    """Inputs (top row) above their reconstructions (bottom row)."""
    images = np.asarray(images)
    reconstructions = np.asarray(reconstructions)
    if images.shape != reconstructions.shape:
        raise ValueError(
            f"images {images.shape} and reconstructions "
            f"{reconstructions.shape} must have the same shape"
        )
    count = len(images)
    figure = new_figure(0.8 * count + 0.6, 1.9)
    axes = figure.subplots(2, count, squeeze=False)
    for i in range(count):
        for row, batch in enumerate((images, reconstructions)):
            ax = axes[row, i]
            ax.imshow(batch[i].mean(-1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("input", fontsize=8)
    axes[1, 0].set_ylabel("recon.", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.subplots_adjust(wspace=0.05, hspace=0.05)
    return figure


def save_figure(figure: Figure, path: str, dpi: int = 100) -> str:
    """Writes a figure as a PNG, atomically (``keras_bvae.files``)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return write_atomic(
        path,
        lambda tmp: figure.savefig(tmp, dpi=dpi, bbox_inches="tight"),
        suffix=".png",
    )
