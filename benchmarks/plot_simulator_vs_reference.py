"""Draws docs/simulator_vs_reference.png: simulated vs real dSprites.

Panels: the reference grids rendered from the real data (random samples,
posX = 0, orientation index 5) beside simulated grids drawn the same way;
real frames of the data set's animation (known factors) beside the simulated
images for the same factors and their pixel differences; and the mean image
over random simulated samples.

    python benchmarks/plot_simulator_vs_reference.py \
        [--reference ../shared/reference/dsprites] [--out docs/...png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from keras_bvae.datasets.simulator import DSpritesSimulator

ROOT = Path(__file__).resolve().parents[1]


def grid(images: np.ndarray, cols: int, gap: int = 12) -> np.ndarray:
    """Tiles (n, 64, 64) images on white with gaps, like the reference."""
    rows = -(-len(images) // cols)
    size = 64
    out = np.ones((rows * (size + gap) + gap, cols * (size + gap) + gap))
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        top, left = gap + r * (size + gap), gap + c * (size + gap)
        out[top : top + size, left : left + size] = img
    return out


def animation_frames(path: Path) -> np.ndarray:
    from PIL import Image

    gif = Image.open(path)
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.array(gif.convert("L")) > 127)
    return np.array(frames)


# Frames of dsprites.gif with known factors (shape, scale, orient, x, y).
ANIMATION = [
    (18, (2, 5, 0, 0, 0)),
    (23, (2, 5, 5, 0, 0)),
    (28, (2, 5, 10, 0, 0)),
    (38, (2, 5, 20, 0, 0)),
    (2, (2, 2, 0, 0, 0)),
    (106, (2, 5, 0, 16, 31)),
    (210, (1, 5, 0, 0, 0)),
    (216, (1, 5, 6, 0, 0)),
    (223, (1, 5, 13, 0, 0)),
    (280, (0, 5, 6, 0, 0)),
    (285, (0, 5, 11, 0, 0)),
    (258, (0, 2, 0, 0, 0)),
]


def main(argv=None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=ROOT.parent / "shared/reference/dsprites",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs/simulator_vs_reference.png"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-mean", type=int, default=20000)
    args = parser.parse_args(argv)

    sim = DSpritesSimulator()
    rng = np.random.default_rng(args.seed)

    def render(factors):
        return sim.render(np.asarray(factors))

    random_f = sim.sample_factors(25, rng)
    posx0_f = sim.sample_factors(9, rng)
    posx0_f[:, 3] = 0
    orient5_f = sim.sample_factors(9, rng)
    orient5_f[:, 2] = 5

    fig = plt.figure(figsize=(16, 17))
    spec = fig.add_gridspec(4, 4, height_ratios=[1.0, 0.8, 0.75, 0.5])
    pairs = [
        ("random_samples.png", random_f, 5, "random samples", (0, 0)),
        ("posx0_samples.png", posx0_f, 3, "posX = 0", (1, 0)),
        (
            "orientation5_samples.png",
            orient5_f,
            3,
            "orientation index 5",
            (1, 2),
        ),
    ]
    for name, factors, cols, title, (row, col) in pairs:
        ax = fig.add_subplot(spec[row, col])
        ref = args.reference / name
        if ref.exists():
            ax.imshow(np.asarray(Image.open(ref).convert("L")), cmap="gray")
        ax.set_title(f"real: {title}")
        ax.axis("off")
        ax = fig.add_subplot(spec[row, col + 1])
        ax.imshow(grid(render(factors), cols), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"simulated: {title}")
        ax.axis("off")

    # Mean image over random samples.
    factors = sim.sample_factors(args.num_mean, rng)
    mean = np.zeros((64, 64))
    for start in range(0, len(factors), 4096):
        mean += render(factors[start : start + 4096]).sum(axis=0)
    mean /= len(factors)
    ax = fig.add_subplot(spec[0, 2])
    im = ax.imshow(mean, cmap="viridis", extent=(0, 64, 64, 0))
    for edge in (8, 56):
        ax.axhline(edge, color="w", lw=0.6, ls="--")
        ax.axvline(edge, color="w", lw=0.6, ls="--")
    ax.set_title(
        f"simulated mean of {len(factors):,} random samples\n"
        "(dashed: 8 and 56 px; real: soft square over ~[8, 56])"
    )
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax = fig.add_subplot(spec[0, 3])
    ax.plot(np.arange(64) + 0.5, mean[32, :], label="row 32 (x profile)")
    ax.plot(np.arange(64) + 0.5, mean[:, 32], label="column 32 (y profile)")
    for edge in (8, 16, 48, 56):
        ax.axvline(edge, color="k", lw=0.5, ls="--")
    ax.set_xlabel("pixel")
    ax.set_title("mean profiles (dashed: 8, 16, 48, 56 px)")
    ax.legend(loc="lower center")

    # Real animation frames vs simulated for the same factors.
    gif = args.reference / "dsprites.gif"
    if gif.exists():
        frames = animation_frames(gif)
        index = [i for i, _ in ANIMATION]
        fs = np.array([f for _, f in ANIMATION])
        real = frames[index].astype(float)
        fake = render(fs).astype(float)
        wrong = (real != fake).sum(axis=(1, 2))
        overlay = np.stack([real, fake, np.zeros_like(real)], axis=-1)
        cols = []
        for k in range(len(index)):
            cx = int(round(16 + 32 * fs[k, 3] / 31))
            cy = int(round(16 + 32 * fs[k, 4] / 31))
            x0 = min(max(cx - 18, 0), 64 - 36)
            y0 = min(max(cy - 18, 0), 64 - 36)
            win = (slice(y0, y0 + 36), slice(x0, x0 + 36))
            column = [
                np.repeat(real[k][win][..., None], 3, -1),
                np.repeat(fake[k][win][..., None], 3, -1),
                overlay[k][win],
            ]
            gap = np.ones((2, 36, 3))
            cols.append(
                np.concatenate(
                    [column[0], gap, column[1], gap, column[2]], axis=0
                )
            )
            cols.append(np.ones((cols[-1].shape[0], 2, 3)))
        ax = fig.add_subplot(spec[2, :])
        ax.imshow(np.concatenate(cols[:-1], axis=1))
        ax.set_title(
            "frames of the real data's animation (top) vs simulated with the "
            "same factors (middle); overlay (bottom): red = real only, "
            f"green = simulated only\nwrong pixels per image: {wrong.tolist()}"
        )
        ax.axis("off")
        ax = fig.add_subplot(spec[3, :])
        real_strip = [frames[18 + k, :34, :34] for k in range(0, 40, 3)]
        sim_strip = [
            render([(2, 5, k, 0, 0)])[0, :34, :34] for k in range(0, 40, 3)
        ]

        def strip(tiles):
            gap = np.ones((34, 2))
            return np.concatenate(
                [x for t in tiles for x in (t, gap)][:-1], axis=1
            )

        top, bottom = strip(real_strip), strip(sim_strip)
        ax.imshow(
            np.concatenate([top, np.ones((2, top.shape[1])), bottom]),
            cmap="gray",
        )
        ax.set_title(
            "heart at orientation index 0, 3, ..., 39: real (top) vs "
            "simulated (bottom)"
        )
        ax.axis("off")

    fig.suptitle(
        "DSpritesSimulator vs real dSprites (reference pictures from the "
        "real data)",
        fontsize=14,
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
