"""Pictures of a trained beta-VAE: traversals, reconstructions, the
latent x factor NMI heatmap (PNG) and traversal animations (GIF).

Uses matplotlib's non-interactive Agg canvas, so it works on headless
machines and in CI; in a notebook the returned Figure displays itself. The
GIF is written with Pillow, which matplotlib itself requires.
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
    "plot_kl_per_latent",
    "plot_nmi_heatmap",
    "traversal_frames",
    "save_traversal_gif",
    "show_image",
    "save_figure",
    "new_axes",
    "new_figure",
    "image_grid",
]


def show_image(ax, image) -> None:
    """Draws an (H, W, C) image in [0, 1]: in colour when C is 3, in grey
    otherwise (channels averaged)."""
    image = np.clip(np.asarray(image, np.float32), 0.0, 1.0)
    if image.shape[-1] == 3:
        ax.imshow(image)
    else:
        ax.imshow(image.mean(-1), cmap="gray", vmin=0, vmax=1)


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
            grid[top : top + height, left : left + width] = images[r, c].mean(
                -1
            )
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
    row_labels: Sequence[str] | None = None,
) -> Figure:
    """One row per latent, one column per value (``BetaVAE.traverse``).

    Rows are labelled with the latent index, or with ``row_labels`` when
    given (e.g. the ``labels`` of ``label_latents``: "z3: orientation,
    NMI 0.41"), and, when given, the latent's average KL in nats, so active
    latents and the factor each one moves are easy to tell apart.

    Args:
        traversals: (rows, cols, H, W, C) images.
        values: the latent value of each column, printed under the last row.
        dims: the latent index of each row. Defaults to 0 .. rows - 1.
        kl_per_dim: per latent (indexed by latent, not row), its KL in nats.
        title: figure title.
        row_labels: per latent (indexed by latent, not row), its label;
            replaces ``z{index}``.

    Returns:
        matplotlib Figure.
    """
    traversals = np.asarray(traversals)
    rows, cols = traversals.shape[:2]
    dims = list(range(rows)) if dims is None else list(dims)
    width = 1.0 + 0.8 * cols + (1.4 if row_labels is not None else 0.0)
    figure = new_figure(width, 0.3 + 0.8 * rows)
    axes = figure.subplots(rows, cols, squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            show_image(ax, traversals[r, c])
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                label = (
                    f"z{dims[r]}"
                    if row_labels is None
                    else _wrap_label(str(row_labels[dims[r]]))
                )
                if kl_per_dim is not None:
                    label += f"\nKL {float(kl_per_dim[dims[r]]):.2f}"
                ax.set_ylabel(
                    label, rotation=0, ha="right", va="center", fontsize=8
                )
            if r == rows - 1 and values is not None:
                ax.set_xlabel(f"{float(values[c]):+.1f}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.subplots_adjust(wspace=0.05, hspace=0.05)
    return figure


def _wrap_label(label: str) -> str:
    """ "z3: orientation, NMI 0.41" -> two lines at the first comma."""
    return label.replace(", ", "\n", 1)


def plot_nmi_heatmap(
    nmi: np.ndarray,
    factor_names: Sequence[str],
    latent_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The latent x factor normalised mutual information as a heatmap.

    Args:
        nmi: (M, K) array in [0, 1], e.g. ``label_latents(...)["nmi"]``.
        factor_names: the K factor names (columns).
        latent_names: the M row names. Defaults to ``z0`` .. ``z{M-1}``.
        title: figure title.

    Returns:
        matplotlib Figure with one annotated cell per (latent, factor).

    Example:
    ```python
    result = label_latents(data, model.encode)
    save_figure(plot_nmi_heatmap(result["nmi"], result["factor_names"]),
                "nmi_heatmap.png")
    ```
    """
    nmi = np.asarray(nmi, dtype=np.float64)
    if nmi.ndim != 2 or nmi.shape[1] != len(factor_names):
        raise ValueError(
            f"nmi must have shape (latents, {len(factor_names)} factors); "
            f"got {nmi.shape}"
        )
    rows, cols = nmi.shape
    if latent_names is None:
        latent_names = [f"z{j}" for j in range(rows)]
    if len(latent_names) != rows:
        raise ValueError(
            f"got {len(latent_names)} latent names for {rows} latents"
        )
    figure = new_figure(1.6 + 0.9 * cols, 0.9 + 0.35 * rows)
    ax = figure.subplots()
    image = ax.imshow(nmi, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols))
    ax.set_xticklabels(list(factor_names), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(rows))
    ax.set_yticklabels(list(latent_names), fontsize=8)
    for j in range(rows):
        for k in range(cols):
            ax.text(
                k,
                j,
                f"{nmi[j, k]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if nmi[j, k] < 0.5 else "black",
            )
    figure.colorbar(image, ax=ax, label="NMI = I(z; v) / H(v)")
    ax.set_title(title or "latent x factor NMI", fontsize=10)
    return figure


def traversal_frames(
    traversals: np.ndarray,
    values: Sequence[float] | None = None,
    dims: Sequence[int] | None = None,
    row_labels: Sequence[str] | None = None,
    columns: int = 5,
    dpi: int = 80,
) -> list[np.ndarray]:
    """Frames of a traversal animation: all latents move together.

    Frame t shows, for every latent, its traversal image at value t, in a
    grid of ``columns`` panels per row, each titled with its label; the
    values run forwards then back, so the animation loops smoothly (the
    traversal animations of Higgins et al. 2017).

    Args:
        traversals: (rows, V, H, W, C) images (``BetaVAE.traverse``).
        values: the V latent values, shown in the frame's title.
        dims: the latent index of each row. Defaults to 0 .. rows - 1.
        row_labels: per latent (indexed by latent), the panel title.
        columns: panels per row of the grid. Defaults to 5.
        dpi: resolution of each frame. Defaults to 80.

    Returns:
        list of 2V - 2 (V if V < 3) uint8 (h, w, 3) RGB frames.
    """
    traversals = np.asarray(traversals)
    if traversals.ndim != 5:
        raise ValueError(
            "traversals must have shape (rows, values, H, W, C); got "
            f"{traversals.shape}"
        )
    rows, count = traversals.shape[:2]
    dims = list(range(rows)) if dims is None else list(dims)
    order = list(range(count))
    if count >= 3:
        order += list(range(count - 2, 0, -1))
    columns = max(1, min(int(columns), rows))
    grid_rows = -(-rows // columns)
    frames = []
    for t in order:
        figure = new_figure(1.5 * columns, 1.6 * grid_rows + 0.3)
        axes = figure.subplots(grid_rows, columns, squeeze=False)
        for i, ax in enumerate(axes.ravel()):
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= rows:
                ax.set_axis_off()
                continue
            show_image(ax, traversals[i, t])
            label = (
                f"z{dims[i]}"
                if row_labels is None
                else _wrap_label(str(row_labels[dims[i]]))
            )
            ax.set_title(label, fontsize=7)
        if values is not None:
            figure.suptitle(f"latent value {float(values[t]):+.2f}", fontsize=9)
        frames.append(figure_array(figure, dpi))
    return frames


def figure_array(figure: Figure, dpi: int = 80) -> np.ndarray:
    """A figure's pixels, uint8 (h, w, 3) RGB (GIF frames, TensorBoard)."""
    figure.set_dpi(dpi)
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()


def save_traversal_gif(
    traversals: np.ndarray,
    path: str,
    values: Sequence[float] | None = None,
    dims: Sequence[int] | None = None,
    row_labels: Sequence[str] | None = None,
    frame_ms: int = 150,
    columns: int = 5,
) -> str:
    """Writes a traversal as a looping animated GIF, atomically.

    Args:
        traversals: (rows, V, H, W, C) images (``BetaVAE.traverse``).
        path: str. Where to write the GIF.
        values, dims, row_labels, columns: as in ``traversal_frames``.
        frame_ms: int. Duration of each frame in milliseconds.

    Returns:
        The path written.

    Example:
    ```python
    values = np.linspace(-2, 2, 9)
    save_traversal_gif(model.traverse(images[:1], values=values),
                       "traversals.gif", values=values)
    ```
    """
    from PIL import Image

    frames = [
        Image.fromarray(frame)
        for frame in traversal_frames(
            traversals, values, dims, row_labels, columns=columns
        )
    ]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return write_atomic(
        path,
        lambda tmp: frames[0].save(
            tmp,
            save_all=True,
            append_images=frames[1:],
            duration=int(frame_ms),
            loop=0,
        ),
        suffix=".gif",
    )


def plot_kl_per_latent(
    steps: Sequence[float],
    kl_per_latent: np.ndarray,
    labels: Sequence[str] | None = None,
    min_kl: float = 0.1,
):
    """The KL of each latent over training: when each factor appeared.

    Args:
        steps: (T,) training steps (or epochs) of the rows.
        kl_per_latent: (T, M) mean KL of each latent, nats (``kl_0`` ...
            of a history).
        labels: M legend labels (e.g. ``label_latents``'s); defaults to
            ``z0`` ... Latents whose last KL is below ``min_kl`` are drawn
            grey, unlabelled.
        min_kl: float. Nats below which a latent counts as unused.

    Returns:
        A matplotlib Figure.
    """
    kl = np.asarray(kl_per_latent, np.float64)
    if kl.ndim != 2 or kl.shape[0] != len(steps):
        raise ValueError(
            f"kl_per_latent must be (len(steps), M); got {kl.shape} for "
            f"{len(steps)} steps"
        )
    labels = list(labels) if labels is not None else None
    figure, ax = new_axes(7.0, 4.2)
    for j in range(kl.shape[1]):
        if kl[-1, j] < min_kl:
            ax.plot(steps, kl[:, j], color="0.75", linewidth=1)
            continue
        label = labels[j] if labels else f"z{j}"
        ax.plot(steps, kl[:, j], label=label, linewidth=1.6)
    ax.set_xlabel("training step")
    ax.set_ylabel("KL of the latent (nats)")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left")
    return figure


def plot_factor_nmi_over_training(
    steps: Sequence[float],
    nmi: np.ndarray,
    factor_names: Sequence[str],
):
    """Each factor's best latent NMI over training: when each factor got a
    latent of its own.

    Args:
        steps: (T,) training steps of the snapshots.
        nmi: (T, M, K) latent x factor NMI of each snapshot
            (``label_latents(...)["nmi"]``).
        factor_names: the K factor names.

    Returns:
        A matplotlib Figure: one line per factor, max over latents of its
        NMI, each point marked with the index of that latent.
    """
    nmi = np.asarray(nmi, np.float64)
    if nmi.ndim != 3 or nmi.shape[0] != len(steps):
        raise ValueError(
            f"nmi must be (len(steps), M, K); got {nmi.shape} for "
            f"{len(steps)} steps"
        )
    if nmi.shape[2] != len(factor_names):
        raise ValueError(
            f"got {len(factor_names)} factor names for {nmi.shape[2]} factors"
        )
    figure, ax = new_axes(7.0, 4.2)
    best = nmi.max(axis=1)  # (T, K)
    which = nmi.argmax(axis=1)
    for k, name in enumerate(factor_names):
        (line,) = ax.plot(
            steps,
            best[:, k],
            marker="o",
            markersize=3,
            label=name,
            linewidth=1.6,
        )
        for t in range(len(steps)):
            # The latent's index where it changes, so a swap is visible.
            if t == 0 or which[t, k] != which[t - 1, k]:
                ax.annotate(
                    f"z{which[t, k]}",
                    (steps[t], best[t, k]),
                    textcoords="offset points",
                    xytext=(2, 4),
                    fontsize=7,
                    color=line.get_color(),
                )
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("NMI of the factor's best latent")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return figure


def plot_rate_split(
    steps: Sequence[float],
    kl: np.ndarray,
    information: np.ndarray,
    min_kl: float = 0.1,
):
    """Each used latent's KL over training beside the part of it that is
    information about the images (``keras_bvae.rate``).

    Args:
        steps: (T,) training steps.
        kl, information: (T, M) nats, from ``rate_decomposition``.
        min_kl: float. Latents whose last KL is below it are left out.

    Returns:
        A matplotlib Figure: a solid line (KL) and a dashed line
        (information) per latent, in the same colour.
    """
    kl = np.asarray(kl, np.float64)
    information = np.asarray(information, np.float64)
    if (
        kl.ndim != 2
        or kl.shape[0] != len(steps)
        or kl.shape != information.shape
    ):
        raise ValueError(
            f"kl and information must both be (len(steps), M); got "
            f"{kl.shape} and {information.shape} for {len(steps)} steps"
        )
    figure, ax = new_axes(7.0, 4.2)
    for j in range(kl.shape[1]):
        if kl[-1, j] < min_kl:
            continue
        (line,) = ax.plot(steps, kl[:, j], linewidth=1.6, label=f"z{j} KL")
        ax.plot(
            steps,
            information[:, j],
            linestyle="--",
            color=line.get_color(),
            label=f"z{j} information",
        )
    ax.set_xlabel("training step")
    ax.set_ylabel("nats")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", ncol=2)
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
            show_image(ax, batch[i])
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
