"""Scores the newest backup of runs still training, as a finished run is
scored: the Higgins metric under the paper's protocol (``higgins2017``) and
disentanglement_lib's (``full``), MIG, and each factor's best-latent NMI,
for orientation also with each shape held fixed
(``keras_bvae.disentanglement.latent_factors.factor_nmi_by_value``; the
square's symmetry caps its NMI at 0.62, the ellipse's and the 20 bins at
0.81).

A study of 300,000-step runs takes many hours a run; this shows where the
runs stand in between, with the same numbers Table 1 will have.

Usage (from the repository root):

    .venv/bin/python experiments/higgins2017/score_backups.py STUDY_DIR \\
        [RUN_ID ...] [--out experiments/higgins2017/checkpoints.json]

Appends one record per run and step to the JSON file (a step already
scored is skipped) and prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

from keras_bvae.disentanglement.latent_factors import factor_nmi_by_value
from keras_bvae.runs.config import model_for_run
from keras_bvae.runs.study import get_study, score_model


def _newest_backup(run_dir: str) -> tuple[int, str]:
    with open(os.path.join(run_dir, "backup", "state.json")) as handle:
        state = json.load(handle)
    return int(state["step"]), os.path.join(run_dir, "backup", state["weights"])


def orientation_nmi_by_shape(data, encode) -> dict:
    """Best-latent ``[j, NMI]`` of orientation among each shape's images."""
    nmi = factor_nmi_by_value(data, encode, "orientation", "shape")
    shapes = ("square", "ellipse", "heart")
    return {
        s: [int(row.argmax()), float(row.max())] for s, row in zip(shapes, nmi)
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study_dir", help="the study folder (reproduce --out)")
    parser.add_argument(
        "run_ids", nargs="*", help="default: every run training"
    )
    parser.add_argument(
        "--out",
        default="experiments/higgins2017/checkpoints.json",
        help="JSON file of the records (appended)",
    )
    args = parser.parse_args(argv)
    study = get_study("higgins2017")
    study = dataclasses.replace(study, metrics=("beta_vae", "mig"))
    runs_dir = os.path.join(args.study_dir, "runs")
    run_ids = args.run_ids or sorted(
        r
        for r in os.listdir(runs_dir)
        if os.path.isfile(os.path.join(runs_dir, r, "backup", "state.json"))
    )
    records = []
    if os.path.isfile(args.out):
        with open(args.out) as handle:
            records = json.load(handle)
    done = {(r["run_id"], r["step"]) for r in records}
    for run_id in run_ids:
        run_dir = os.path.join(runs_dir, run_id)
        started = time.time()
        _, data, model = model_for_run(run_dir)
        for attempt in range(3):
            step, weights = _newest_backup(run_dir)
            try:
                model.load_weights(weights)
                break
            except FileNotFoundError:
                # A new backup replaced this one between the two reads.
                if attempt == 2:
                    raise
        if (run_id, step) in done:
            print(f"{run_id} step {step:,}: already scored")
            continue
        result = score_model(study, data, model, ("higgins2017", "full"))
        result["orientation_by_shape"] = orientation_nmi_by_shape(
            data, model.encode
        )
        records.append(
            {
                "run_id": run_id,
                "step": step,
                "beta": float(model.beta),
                "seconds": round(time.time() - started, 1),
                **result,
            }
        )
        with open(args.out, "w") as handle:
            json.dump(records, handle, indent=1, sort_keys=True)
        scores = result["scores"]
        best = {k: round(v[1], 3) for k, v in result["best_latent"].items()}
        print(
            f"{run_id} step {step:,}: higgins2017 "
            f"{scores['higgins2017:beta_vae_eval_accuracy']:.3f}, full "
            f"{scores['full:beta_vae_eval_accuracy']:.3f}, MIG "
            f"{scores['full:mig']:.3f}; best-latent NMI {best}; orientation "
            f"by shape {result['orientation_by_shape']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
