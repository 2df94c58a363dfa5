"""Table 1's baselines that need no training, under both protocols.

Raw pixels, PCA and ICA with 10 components (Higgins et al., ICLR 2017,
Table 1 and Appendix A.4: "PCA and ICA decompositions keep the first ten
components"), scored by the beta-VAE metric under the paper's protocol
("higgins2017") and the package's disentanglement_lib one ("full"), on the
embedded dSprites simulator. As in the paper's Appendix A.4, each fitted
representation is a replica (PCA and ICA refitted on a fresh sample of
images with a fresh seed) scored several times with different metric
seeds; the table reports the mean and std of the top half of all scores
(``higgins2017_summary``) beside the mean and std of all of them.

Usage:
    python experiments/higgins2017/baselines.py OUT_DIR \\
        [--replicas 4] [--evals 3] [--pixel-evals 3] [--fit-images 20000]

Writes OUT_DIR/baselines.json (every score with its seed and settings,
rewritten after each score) and OUT_DIR/baselines.md (the table).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
from sklearn.decomposition import PCA, FastICA

from keras_bvae.datasets import get_data
from keras_bvae.disentanglement import (
    CodesTable,
    beta_vae_score,
    higgins2017_summary,
    protocol_settings,
)
from keras_bvae.files import write_json

PAPER = {  # Table 1, accuracy in percent: (mean, stated spread).
    "raw pixels": (45.75, 0.8),
    "PCA": (84.9, 0.4),
    "ICA": (42.03, 10.6),
}
PROTOCOL_NAMES = ("higgins2017", "full")


def fit_replicas(data, replicas: int, fit_images: int):
    """PCA and FastICA (10 components each) per replica, each fitted on
    ``fit_images`` images drawn with the replica's seed."""
    fitted = []
    for r in range(replicas):
        rng = np.random.default_rng(1000 + r)
        factors = data.sample_factors(fit_images, rng)
        x = data.sample_observations_from_factors(factors, rng)
        x = x.reshape(len(x), -1).astype(np.float64)
        pca = PCA(10, svd_solver="randomized", random_state=r).fit(x)
        # ICA on the 10 whitened principal components: what FastICA does
        # inside (it whitens with PCA first), done outside because its own
        # whitening divides by zero on dSprites' constant border pixels.
        pcs = pca.transform(x)
        ica = FastICA(
            whiten="unit-variance", max_iter=1000, random_state=r
        ).fit(pcs)
        fitted.append(
            {
                "replica": r,
                "pca": pca,
                "ica": ica,
                "pca_explained_variance": float(
                    pca.explained_variance_ratio_.sum()
                ),
            }
        )
        print(
            f"replica {r}: PCA explains "
            f"{fitted[-1]['pca_explained_variance']:.3f} of the variance",
            flush=True,
        )
    return fitted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--evals", type=int, default=3)
    parser.add_argument("--pixel-evals", type=int, default=3)
    parser.add_argument("--fit-images", type=int, default=20000)
    args = parser.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    started = time.time()
    data = get_data("dsprites-sim")
    data.materialize()  # images looked up, not rendered: ~4x faster

    fitted = fit_replicas(data, args.replicas, args.fit_images)

    def pca_ica_codes(images):
        flat = images.reshape(len(images), -1)
        return np.concatenate(
            [
                code
                for f in fitted
                for code in (
                    f["pca"].transform(flat),
                    f["ica"].transform(f["pca"].transform(flat)),
                )
            ],
            axis=1,
        ).astype(np.float32)

    table = CodesTable(data, pca_ica_codes)  # every combination, once
    print(f"codes table: {time.time() - started:.0f} s", flush=True)

    def columns(r, kind):
        start = 20 * r + (0 if kind == "pca" else 10)
        return lambda rows: table.representation(rows)[:, start : start + 10]

    def pixels(images):
        return images.reshape(len(images), -1)

    runs = []  # (name, replica, data, representation, evals)
    for r in range(args.replicas):
        runs.append(("PCA", r, table.data, columns(r, "pca"), args.evals))
        runs.append(("ICA", r, table.data, columns(r, "ica"), args.evals))
    runs.append(("raw pixels", 0, data, pixels, args.pixel_evals))

    record = {
        "command": "python experiments/higgins2017/baselines.py OUT_DIR "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in vars(args).items()
            if k != "out_dir"
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores "
        "(name the CPU model when quoting)",
        "data": "dsprites-sim (embedded dSprites simulator, 737,280 images)",
        "pca_explained_variance": [f["pca_explained_variance"] for f in fitted],
        "paper": {k: {"mean": m, "spread": s} for k, (m, s) in PAPER.items()},
        "scores": [],
    }
    out_json = os.path.join(args.out_dir, "baselines.json")
    out_md = os.path.join(args.out_dir, "baselines.md")
    # In rounds, so that a run cut short has every baseline under both
    # protocols: round k scores replica k of PCA and ICA (its metric
    # seeds) and the k-th metric seed of the raw pixels.
    order = []
    for k in range(max(args.replicas, args.pixel_evals)):
        for protocol in PROTOCOL_NAMES:
            for run in runs:
                name, r, _, _, evals = run
                if name == "raw pixels":
                    if k < evals:
                        order.append((protocol, run, k))
                elif r == k:
                    order += [(protocol, run, e) for e in range(evals)]
    for protocol, (name, r, run_data, fn, _), e in order:
        settings = protocol_settings("beta_vae", protocol)
        seed = 100 * r + e  # raw pixels: r = 0, e = the round
        t0 = time.time()
        result = beta_vae_score(run_data, fn, seed=seed, **settings)
        row = {
            "baseline": name,
            "protocol": protocol,
            "replica": r,
            "seed": seed,
            "eval_accuracy": result["eval_accuracy"],
            "train_accuracy": result["train_accuracy"],
            "factors": result["factors"],
            "num_train": result["num_train"],
            "num_eval": result["num_eval"],
            "batch_size": result["batch_size"],
            "classifier": result["classifier"],
            "seconds": round(time.time() - t0, 1),
        }
        record["scores"].append(row)
        print(
            f"{protocol:12s} {name:10s} replica {r} seed {seed}: "
            f"eval {row['eval_accuracy']:.4f} train "
            f"{row['train_accuracy']:.4f} ({row['seconds']} s)",
            flush=True,
        )
        record["summary"] = summarise(record["scores"])
        record["seconds"] = round(time.time() - started, 1)
        write_json(out_json, record)
        write_markdown(out_md, record)
    print(f"wrote {out_json} ({record['seconds']:.0f} s)", flush=True)
    return 0


def summarise(scores) -> dict:
    summary = {}
    for protocol in PROTOCOL_NAMES:
        for name in PAPER:
            values = [
                s["eval_accuracy"]
                for s in scores
                if s["protocol"] == protocol and s["baseline"] == name
            ]
            if values:
                summary.setdefault(protocol, {})[name] = higgins2017_summary(
                    values
                )
    return summary


def write_markdown(path: str, record: dict) -> None:
    lines = [
        "# Table 1 baselines under both protocols",
        "",
        "Beta-VAE metric accuracy (%) on the dSprites simulator. *Top half*:",
        "mean ± std of the best half of all scores, as the paper reports",
        "(Appendix A.4); *all*: mean ± std of every score; *n*: scores",
        "(replicas x metric seeds). Paper: Higgins et al. (ICLR 2017),",
        "Table 1.",
        "",
        "| baseline | paper | higgins2017, top half | higgins2017, all "
        "| full, top half | full, all | n (higgins2017 / full) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (mean, spread) in PAPER.items():
        cells = [name, f"{mean:.2f} ± {spread}"]
        n = []
        for protocol in PROTOCOL_NAMES:
            s = record["summary"].get(protocol, {}).get(name)
            n.append(str(s["n"] if s else 0))
            if s is None:
                cells += ["-", "-"]
                continue
            cells.append(f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f}")
            cells.append(
                f"{100 * s['all_mean']:.2f} ± {100 * s['all_std']:.2f}"
            )
        cells.append(" / ".join(n))
        lines.append("| " + " | ".join(cells) + " |")
    pev = record["pca_explained_variance"]
    lines += [
        "",
        f"PCA's 10 components explain {100 * min(pev):.1f}-"
        f"{100 * max(pev):.1f}% of the pixel variance (paper: 60.8%).",
        "",
        f"Command: `{record['command']}`  ",
        f"Machine: {record['machine']}  ",
        f"Time: {record['seconds'] / 60:.1f} minutes",
        "",
    ]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines))
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
