"""Keeps the study's unfinished runs in the repository, so that another
machine can resume them.

A run of the Higgins MLP backs itself up every few thousand steps into
``runs/RUN_ID/backup/`` (weights and Adagrad accumulators: 114 MB, one
HDF5 file). ``save`` copies each run's newest backup, with its config.json
and history.csv, into a kept folder, cutting the weights into parts under
50 MB (git hosts refuse files over 100 MB) with their SHA-256; ``restore``
puts the parts back together into a study folder, checks the hash, and
skips a run whose study folder already has a backup at the same or a later
step, that has finished, or that a worker holds. Finished runs are kept
by ``reproduce``'s own files (scores.json, history.csv, summary.json):
``save`` drops their kept backup and ``restore`` never touches them.

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


def _state(backup_dir: str) -> dict | None:
    path = os.path.join(backup_dir, "state.json")
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _step(backup_dir: str) -> int:
    state = _state(backup_dir)
    return -1 if state is None else int(state.get("step", 0))


def _finished(run_dir: str) -> bool:
    """``train`` wrote summary.json and removed backup/, or the study
    scored the run: its files are the result, never to be replaced."""
    return os.path.isfile(os.path.join(run_dir, "scores.json")) or (
        os.path.isfile(os.path.join(run_dir, "summary.json"))
        and not os.path.isdir(os.path.join(run_dir, "backup"))
    )


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_parts(source: str, staging: str, name: str, part_bytes: int):
    """Writes ``source`` in parts; returns (part names, SHA-256)."""
    digest = hashlib.sha256()
    parts = []
    with open(source, "rb") as handle:
        for i, block in enumerate(iter(lambda: handle.read(part_bytes), b"")):
            digest.update(block)
            part = f"{name}.part{i:02d}"
            with open(os.path.join(staging, part), "wb") as out:
                out.write(block)
            parts.append(part)
    return parts, digest.hexdigest()


def save(study_dir: str, kept: str, part_bytes: int = PART_BYTES) -> list:
    """Copies every unfinished run's backup into ``kept``, and drops the
    kept copy of a run that has finished since.

    Returns:
        [(run_id, step)] of the runs kept.

    Raises:
        RuntimeError: a run made a new backup while it was copied (the
            old one is deleted then); run again.
    """
    saved = []
    runs = os.path.join(study_dir, "runs")
    for run_id in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        run_dir = os.path.join(runs, run_id)
        target = os.path.join(kept, run_id)
        if _finished(run_dir):
            shutil.rmtree(target, ignore_errors=True)
            continue
        backup = os.path.join(run_dir, "backup")
        state = _state(backup)
        if state is None:
            continue
        step, weights = int(state["step"]), state["weights"]
        staging = target + ".partial"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        try:
            with open(os.path.join(staging, "state.json"), "w") as handle:
                json.dump(state, handle, indent=2)
            parts, sha256 = _copy_parts(
                os.path.join(backup, weights), staging, weights, part_bytes
            )
        except FileNotFoundError:
            shutil.rmtree(staging)
            raise RuntimeError(
                f"{run_id}: a new backup replaced step {step} while it was "
                "copied; run again"
            ) from None
        for name in ("config.json", "history.csv"):
            # Under backup/ while training; beside it in runs made by
            # versions before 2026-12-06.
            for folder in (backup, run_dir):
                if os.path.isfile(os.path.join(folder, name)):
                    shutil.copy2(os.path.join(folder, name), staging)
                    break
        config = os.path.join(staging, "config.json")
        if os.path.isfile(config):
            # The folder is this machine's; where it is does not matter to
            # resuming (keras_bvae.runs.config.RESUMABLE_CHANGES).
            with open(config) as handle:
                settings = json.load(handle)
            settings["output_dir"] = os.path.join("runs", run_id)
            with open(config, "w") as handle:
                json.dump(settings, handle, indent=2)
        # The manifest last: a kept folder without one is incomplete.
        manifest = {
            "step": step,
            "weights": weights,
            "parts": parts,
            "sha256": sha256,
        }
        with open(os.path.join(staging, MANIFEST), "w") as handle:
            json.dump(manifest, handle, indent=2)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
        saved.append((run_id, step))
    return saved


def restore(kept: str, study_dir: str) -> list:
    """Rebuilds the kept backups in ``study_dir`` where they are newer than
    the run's own backup, skipping finished runs and runs a worker holds
    (``keras_bvae.runs.study.claim_run``).

    Returns:
        [(run_id, step)] of the runs restored.
    """
    from keras_bvae.runs.study import claim_run

    restored = []
    names = sorted(os.listdir(kept)) if os.path.isdir(kept) else []
    for run_id in names:
        manifest_path = os.path.join(kept, run_id, MANIFEST)
        if run_id.endswith(".partial") or not os.path.isfile(manifest_path):
            continue
        with open(manifest_path) as handle:
            manifest = json.load(handle)
        run_dir = os.path.join(study_dir, "runs", run_id)
        os.makedirs(run_dir, exist_ok=True)
        with claim_run(run_dir) as holder:
            if holder is not None:
                print(f"{run_id}: held by {holder}; not restored")
                continue
            backup = os.path.join(run_dir, "backup")
            if _finished(run_dir) or _step(backup) >= manifest["step"]:
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
                raise RuntimeError(
                    f"{run_id}: the kept weights fail their SHA-256"
                )
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
