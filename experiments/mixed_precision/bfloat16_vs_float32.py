"""Does a model trained in bfloat16 score like one trained in float32?

Trains the same beta-VAE runs twice with the package's own ``sweep``
command, once with ``--precision float32`` and once with ``--precision
bfloat16`` (Keras's mixed_bfloat16 policy), same seeds, data, steps and
metrics, then compares each score's mean over seeds: a difference smaller
than about two standard errors of the difference is within seed noise.
Each sweep keeps its own ``results.csv`` and resumes after a kill.

Needs a CPU with AMX or AVX512_BF16 (or a GPU): elsewhere ``--precision
bfloat16`` is refused.

Usage (from the repository root):

    .venv/bin/python experiments/mixed_precision/bfloat16_vs_float32.py \\
        --out runs/mixed_precision --seeds 0 1 2 --steps 4000 --protocol quick

Writes OUT/float32/, OUT/bfloat16/ (sweep folders: results.csv and each
run's model) and OUT/summary.md.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys

from keras_bvae.runs.results import read_results

PRECISIONS = ("float32", "bfloat16")
COLUMNS = (
    "beta_vae_eval_accuracy",
    "mig",
    "reconstruction_loss",
    "kl",
    "train_seconds",
)


def run_sweep(out: str, precision: str, args) -> None:
    """Runs (or resumes) one precision's sweep through the command line."""
    command = [
        sys.executable,
        "-m",
        "keras_bvae",
        "sweep",
        "--out",
        os.path.join(out, precision),
        "--latent-dims",
        "10",
        "--betas",
        str(args.beta),
        "--seeds",
        *map(str, args.seeds),
        "--steps",
        str(args.steps),
        "--steps-per-epoch",
        str(min(args.steps, 1000)),
        "--metrics",
        "beta_vae",
        "mig",
        "--protocol",
        args.protocol,
        "--precision",
        precision,
        "--no-udr",
        "--verbose",
        "1",
    ]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)


def mean_sd(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def summary_table(out: str) -> str:
    """Markdown table: each column's mean (sd) per precision and the gap."""
    rows = {p: read_results(os.path.join(out, p)) for p in PRECISIONS}
    lines = [
        "| score | float32 mean (sd) | bfloat16 mean (sd) | bfloat16 - "
        "float32 | standard error of the gap | gap / SE |",
        "|---|---|---|---|---|---|",
    ]
    for column in COLUMNS:
        stats = {}
        for precision in PRECISIONS:
            values = [
                float(r[column])
                for r in rows[precision]
                if r.get("status") == "ok" and r.get(column) is not None
            ]
            stats[precision] = (
                mean_sd(values) if values else (0.0, 0.0),
                len(values),
            )
        if not stats["float32"][1] or not stats["bfloat16"][1]:
            lines.append(f"| {column} | (no finished runs in both) | | | | |")
            continue
        (m32, s32), n32 = stats["float32"]
        (m16, s16), n16 = stats["bfloat16"]
        gap = m16 - m32
        se = math.sqrt(s32**2 / n32 + s16**2 / n16)
        lines.append(
            f"| {column} | {m32:.4g} ({s32:.2g}) | {m16:.4g} ({s16:.2g}) | "
            f"{gap:+.3g} | {se:.2g} | {gap / se if se else float('nan'):+.2f} |"
        )
    seeds = {p: sorted(r["seed"] for r in rows[p]) for p in PRECISIONS}
    return "\n".join(lines) + f"\n\nseeds: {seeds}\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        default="runs/mixed_precision",
        help="folder for the two sweeps and summary.md",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--beta", type=float, default=4.0)
    parser.add_argument(
        "--protocol", choices=("quick", "full"), default="quick"
    )
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="only rewrite summary.md from the sweeps' results.csv",
    )
    args = parser.parse_args(argv)
    if not args.summary_only:
        for precision in PRECISIONS:
            run_sweep(args.out, precision, args)
    table = summary_table(args.out)
    print(table)
    with open(os.path.join(args.out, "summary.md"), "w") as handle:
        handle.write(table)


if __name__ == "__main__":
    main()
