"""The figures of a sweep, from its results rows.

``plot_score_vs_beta`` (Higgins et al. 2017, Fig. 6),
``plot_reconstruction_vs_beta`` and ``plot_rate_distortion``, each with
error bars of one standard deviation over seeds; ``plot_sweep`` writes them
all as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from keras_bvae.plotting import new_axes, save_figure
from keras_bvae.runs.sweep import BASE_COLUMNS, read_results, summarize

__all__ = [
    "plot_rate_distortion",
    "plot_reconstruction_vs_beta",
    "plot_score_vs_beta",
    "plot_sweep",
]


def _seeds_note(summary: dict) -> str:
    counts = sorted({int(c) for s in summary.values() for c in s["count"]})
    text = "/".join(str(c) for c in counts)
    return f"mean ± 1 s.d. over {text} seed(s)"


def _log_axis_at(ax, values) -> None:
    """A log x axis; under two decades of swept values it is labelled at
    those values (matplotlib would label minor ticks, overlapping), over
    that at its powers of ten only."""
    from matplotlib.ticker import NullFormatter

    ticks = sorted({float(v) for v in values})
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    if ticks and ticks[-1] / ticks[0] <= 100:
        ax.set_xticks(ticks, [f"{v:.3g}" for v in ticks])


def plot_score_vs_beta(
    rows: Sequence[dict], score: str = "beta_vae_eval_accuracy"
):
    """Score vs normalised beta, a line per latent size, beta = 1 marked.

    The figure of Higgins et al. (2017, Fig. 6). Returns a matplotlib
    Figure.
    """
    summary = summarize(rows, score)
    figure, ax = new_axes()
    marked = False
    for m, s in summary.items():
        line = ax.errorbar(
            s["normalized_beta"],
            s["mean"],
            yerr=s["std"],
            marker="o",
            capsize=3,
            label=f"M = {m}",
        )
        one = s["is_beta_one"]
        if one.any():
            ax.plot(
                s["normalized_beta"][one],
                s["mean"][one],
                linestyle="none",
                marker="*",
                markersize=15,
                markerfacecolor="none",
                markeredgecolor="black",
                color=line[0].get_color(),
                label=None if marked else "unnormalised beta = 1",
            )
            marked = True
    _log_axis_at(
        ax, [b for s in summary.values() for b in s["normalized_beta"]]
    )
    ax.set_xlabel("normalised beta = beta M / N")
    ax.set_ylabel(score)
    ax.set_title(
        f"{score} vs normalised beta ({_seeds_note(summary)})", fontsize=9
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_reconstruction_vs_beta(
    rows: Sequence[dict], value: str = "reconstruction_loss"
):
    """Reconstruction loss (nats per image) vs raw beta, a line per M."""
    summary = summarize(rows, value)
    figure, ax = new_axes()
    for m, s in summary.items():
        ax.errorbar(
            s["beta"],
            s["mean"],
            yerr=s["std"],
            marker="o",
            capsize=3,
            label=f"M = {m}",
        )
    _log_axis_at(ax, [b for s in summary.values() for b in s["beta"]])
    ax.set_xlabel("beta")
    ax.set_ylabel(f"{value} (nats / image)")
    ax.set_title(f"{value} vs beta ({_seeds_note(summary)})", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_rate_distortion(
    rows: Sequence[dict],
    rate: str = "kl",
    distortion: str = "reconstruction_loss",
):
    """The rate-distortion curve: reconstruction loss vs KL, a line per M.

    Each point is one beta (labelled); error bars on both axes.
    """
    rate_summary = summarize(rows, rate)
    dist_summary = summarize(rows, distortion)
    figure, ax = new_axes()
    for m, r in rate_summary.items():
        d = dist_summary[m]
        ax.errorbar(
            r["mean"],
            d["mean"],
            xerr=r["std"],
            yerr=d["std"],
            marker="o",
            capsize=3,
            label=f"M = {m}",
        )
        for x, y, b in zip(r["mean"], d["mean"], r["beta"]):
            ax.annotate(
                f"{b:.3g}",
                (x, y),
                fontsize=6,
                textcoords="offset points",
                xytext=(3, 3),
            )
    ax.set_xlabel(f"rate: {rate} (nats)")
    ax.set_ylabel(f"distortion: {distortion} (nats)")
    ax.set_title(
        "rate-distortion, points labelled with beta "
        f"({_seeds_note(rate_summary)})",
        fontsize=9,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_sweep(
    rows_or_dir,
    output_dir: str | None = None,
    scores: Sequence[str] | None = None,
) -> list[str]:
    """Writes all sweep figures as PNG; returns their paths.

    Args:
        rows_or_dir: rows (from ``read_results``) or a sweep folder.
        output_dir: str or None. Where to write; defaults to the sweep
            folder.
        scores: score columns to plot against normalised beta; defaults to
            every score column of the rows.
    """
    if isinstance(rows_or_dir, (str, os.PathLike)):
        output_dir = output_dir or str(rows_or_dir)
        rows = read_results(str(rows_or_dir))
    else:
        rows = list(rows_or_dir)
    if not rows:
        raise ValueError("no sweep results to plot")
    if output_dir is None:
        raise ValueError("give output_dir to plot rows")
    if scores is None:
        scores = []
        for row in rows:
            scores += [
                k
                for k, v in row.items()
                if k not in BASE_COLUMNS
                and k not in scores
                and isinstance(v, (int, float))
            ]
    paths = []
    for score in scores:
        paths.append(
            save_figure(
                plot_score_vs_beta(rows, score),
                os.path.join(output_dir, f"score_vs_beta_{score}.png"),
            )
        )
    paths.append(
        save_figure(
            plot_reconstruction_vs_beta(rows),
            os.path.join(output_dir, "reconstruction_vs_beta.png"),
        )
    )
    paths.append(
        save_figure(
            plot_rate_distortion(rows),
            os.path.join(output_dir, "rate_distortion.png"),
        )
    )
    return paths
