"""Keeps the study's unfinished runs in the repository, so that another
machine can resume them.

A run of the Higgins MLP backs itself up every few thousand steps into
``runs/RUN_ID/backup/`` (weights and Adagrad accumulators: 114 MB, one
HDF5 file). ``save`` copies each run's newest backup, with its config.json
and history.csv, into a kept folder, cutting the weights into parts under
50 MB (git hosts refuse files over 100 MB) with their SHA-256; ``restore``
puts the parts back together into a study folder, checks the hash, and
skips a run whose study folder already has a backup at the same or a later
step. Finished runs are kept by ``reproduce``'s own files (scores.json,
history.csv, summary.json) and are not touched.

Usage (from the repository root):

    .venv/bin/python experiments/higgins2017/kept_backups.py save STUDY_DIR
    .venv/bin/python experiments/higgins2017/kept_backups.py restore STUDY_DIR

KEPT defaults to experiments/higgins2017/kept (``--kept``); commit it after
``save``. Run ``save`` between backups (each backup is replaced
atomically, but copying takes a moment); it prints each run's step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys

PART_BYTES = 45 * 2**20
SMALL_FILES = ("state.json", "config.json", "history.csv")
MANIFEST = "manifest.json"


def _step(backup_dir: str) -> int:
    path = os.path.join(backup_dir, "state.json")
    if not os.path.isfile(path):
        return -1
    with open(path) as handle:
        return int(json.load(handle).get("step", 0))


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(study_dir: str, kept: str, part_bytes: int = PART_BYTES) -> list:
    """Copies every unfinished run's backup into ``kept``.

    Returns:
        [(run_id, step)] of the runs kept.
    """
    saved = []
    runs = os.path.join(study_dir, "runs")
    for run_id in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        backup = os.path.join(runs, run_id, "backup")
        step = _step(backup)
        if step < 0:
            continue
        with open(os.path.join(backup, "state.json")) as handle:
            weights = json.load(handle)["weights"]
        target = os.path.join(kept, run_id)
        staging = target + ".partial"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        shutil.copy2(os.path.join(backup, "state.json"), staging)
        for name in ("config.json", "history.csv"):
            # Under backup/ while training; beside it in runs made by
            # versions before 2026-12-06.
            for folder in (backup, os.path.join(runs, run_id)):
                if os.path.isfile(os.path.join(folder, name)):
                    shutil.copy2(os.path.join(folder, name), staging)
                    break
        config = os.path.join(staging, "config.json")
        if os.path.isfile(config):
            # The folder is this machine's; where it is matters not to
            # resuming (keras_bvae.runs.config.RESUMABLE_CHANGES).
            with open(config) as handle:
                settings = json.load(handle)
            settings["output_dir"] = os.path.join("runs", run_id)
            with open(config, "w") as handle:
                json.dump(settings, handle, indent=2)
        parts = []
        with open(os.path.join(backup, weights), "rb") as handle:
            for i, block in enumerate(
                iter(lambda: handle.read(part_bytes), b"")
            ):
                part = f"{weights}.part{i:02d}"
                with open(os.path.join(staging, part), "wb") as out:
                    out.write(block)
                parts.append(part)
        manifest = {
            "step": step,
            "weights": weights,
            "parts": parts,
            "sha256": _sha256(os.path.join(backup, weights)),
        }
        with open(os.path.join(staging, MANIFEST), "w") as handle:
            json.dump(manifest, handle, indent=2)
        # The state must still name these weights (a new backup may have
        # replaced them while they were copied).
        if _step(backup) != step:
            shutil.rmtree(staging)
            raise RuntimeError(f"{run_id}: a new backup arrived; run again")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
        saved.append((run_id, step))
    return saved


def restore(kept: str, study_dir: str) -> list:
    """Rebuilds the kept backups in ``study_dir`` where they are newer.

    Returns:
        [(run_id, step)] of the runs restored.
    """
    restored = []
    for run_id in sorted(os.listdir(kept)) if os.path.isdir(kept) else []:
        manifest_path = os.path.join(kept, run_id, MANIFEST)
        if not os.path.isfile(manifest_path):
            continue
        with open(manifest_path) as handle:
            manifest = json.load(handle)
        backup = os.path.join(study_dir, "runs", run_id, "backup")
        if _step(backup) >= manifest["step"]:
            continue
        staging = backup + ".partial"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        weights = os.path.join(staging, manifest["weights"])
        with open(weights, "wb") as out:
            for part in manifest["parts"]:
                with open(os.path.join(kept, run_id, part), "rb") as handle:
                    shutil.copyfileobj(handle, out)
        if _sha256(weights) != manifest["sha256"]:
            shutil.rmtree(staging)
            raise RuntimeError(f"{run_id}: the kept weights fail their SHA-256")
        for name in SMALL_FILES:
            source = os.path.join(kept, run_id, name)
            if os.path.isfile(source):
                shutil.copy2(source, staging)
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(staging, backup)
        restored.append((run_id, manifest["step"]))
    return restored


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("save", "restore"))
    parser.add_argument("study_dir", help="the study folder (reproduce --out)")
    parser.add_argument(
        "--kept",
        default=os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "kept"
        ),
        help="the kept folder in the repository (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.action == "save":
        done = save(args.study_dir, args.kept)
    else:
        done = restore(args.kept, args.study_dir)
    for run_id, step in done:
        print(f"{args.action}d {run_id} at step {step:,}")
    if not done:
        print(f"nothing to {args.action}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
