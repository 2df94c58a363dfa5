"""``keras-bvae reproduce STUDY``: a paper's study, resumable run by run.

Rerunning the same command continues where it stopped: finished runs are
skipped and an interrupted run resumes from its last backup. Several
copies of the command on the same ``--out`` share the work (each run is
claimed by one worker at a time; a killed worker's run is taken over).
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    from keras_bvae.runs.study import STUDIES

    add = parser.add_argument
    add("study", choices=sorted(STUDIES), help="the study to run")
    add("--output-dir", "--out", required=True, help="the study folder")
    add(
        "--part",
        choices=["table", "figure", "all"],
        default="all",
        help="table: the headline table's runs only; figure: also the "
        "score-vs-normalised-beta grid (default: all = both)",
    )
    add(
        "--steps",
        type=int,
        default=300_000,
        help="training steps per run (default: %(default)s)",
    )
    add("--seeds", type=int, default=3, help="seeds per point (default: 3)")
    add(
        "--score-every",
        type=int,
        default=10_000,
        help="steps between the logged Higgins score and factor NMI "
        "(default: %(default)s)",
    )
    add(
        "--backup-every",
        type=int,
        default=2_000,
        help="steps between backups (default: %(default)s)",
    )
    add("--max-runs", type=int, default=None, help="stop after N runs")
    add(
        "--quick",
        action="store_true",
        help="score finished runs under the quick protocol only (a smoke "
        "test of the study, not its result)",
    )
    add(
        "--results-only",
        action="store_true",
        help="only rewrite progress.md, training_curves.png, results.csv, "
        "table1.md and the figures",
    )
    add(
        "--verbose",
        type=int,
        default=1,
        choices=[0, 1, 2],
        help="1: a line per run; 2: also Keras's line per epoch",
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from keras_bvae.runs.study import get_study, run_study
    from keras_bvae.runs.study_progress import write_progress
    from keras_bvae.runs.study_results import study_rows, write_study_results
    from keras_bvae.validation import check_int

    for name in ("steps", "seeds", "score_every", "backup_every"):
        check_int(name, getattr(args, name), minimum=1)
    study = get_study(
        args.study,
        steps=args.steps,
        seeds=args.seeds,
        score_every=args.score_every,
        backup_every=args.backup_every,
    )
    if args.part == "table":
        study = dataclasses.replace(study, figure_runs=())
    if args.quick:
        study = dataclasses.replace(study, protocols=("quick",))
    if not args.results_only:
        run_study(
            study,
            args.output_dir,
            max_runs=args.max_runs,
            verbose=args.verbose,
        )
    paths = write_progress(study, args.output_dir)
    if study_rows(study, args.output_dir):
        paths += write_study_results(study, args.output_dir)
    else:
        print(f"no finished runs in {args.output_dir} yet")
    if paths:
        print("wrote " + ", ".join(paths))
    return 0
