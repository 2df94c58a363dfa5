"""``keras-bvae compare``: the beta-VAE family side by side.

Example (the committed comparison: compare/README.md):

    python -m keras_bvae compare --out compare/dsprites_sim --steps 1500

trains every objective at two of its Locatello et al. settings x 2 seeds at
one budget, scores each with five metrics (quick protocol), and writes
OUT/results.csv, OUT/comparison.md (table), OUT/comparison.png (figure) and
OUT/comparison.json. Rerunning the same command resumes.
"""

from __future__ import annotations

import argparse

from keras_bvae.commands.train import (
    add_capacity_arguments,
    add_data_arguments,
    add_objective_arg_argument,
    add_optimizer_argument,
    add_precision_argument,
    add_tensorboard_argument,
    capacity_steps,
)
from keras_bvae.precision import check_precision_support
from keras_bvae.runs.config import TrainConfig

_DEFAULTS = TrainConfig()


def _values(text: str) -> tuple[str, list[float]]:
    name, sep, numbers = text.partition("=")
    try:
        values = [float(v) for v in numbers.split(",") if v]
    except ValueError:
        values = []
    if not sep or not values:
        raise argparse.ArgumentTypeError(
            f"expected NAME=V1,V2 (e.g. factor_vae=20,40); got {text!r}"
        )
    return name, values


def configure(parser: argparse.ArgumentParser) -> None:
    from keras_bvae.runs.compare import FAMILY, FIVE_METRICS

    add = parser.add_argument
    add("--output-dir", "--out", required=True, help="comparison folder")
    add(
        "--objectives",
        nargs="+",
        default=list(FAMILY),
        help="objectives to compare (default: all six)",
    )
    add(
        "--values",
        type=_values,
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="settings of one objective's hyperparameter (default: the "
        "2nd and 4th of its Locatello et al. grid); repeatable",
    )
    add("--seeds", type=int, nargs="+", default=[0, 1])
    add("--latent-dim", type=int, default=10)
    add("--steps", type=int, default=1500, help="training steps per run")
    add(
        "--learning-rate",
        type=float,
        default=1e-4,
        help="Adam's learning rate (default: 1e-4, Locatello et al.)",
    )
    add_optimizer_argument(parser)
    add("--batch-size", type=int, default=64)
    add_capacity_arguments(parser)
    add_objective_arg_argument(parser)
    add_tensorboard_argument(parser)
    add_precision_argument(parser)
    add("--metrics", nargs="+", default=list(FIVE_METRICS))
    add("--protocol", default="quick", choices=["quick", "full"])
    add("--architecture", default="burgess", choices=["burgess", "higgins"])
    add_data_arguments(parser, _DEFAULTS.data)
    add("--backup-every", type=int, default=500)
    add("--max-runs", type=int, default=None)
    add(
        "--table-only",
        action="store_true",
        help="only rewrite the table and figure from OUT/results.csv",
    )


def run(args: argparse.Namespace) -> int:
    from keras_bvae.objectives.options import objective_options
    from keras_bvae.runs.compare import (
        default_values,
        run_comparison,
        write_comparison,
    )

    if args.table_only:
        paths = write_comparison(args.output_dir)
        print("wrote " + ", ".join(paths))
        return 0
    values = default_values(args.objectives)
    given = dict(args.values)
    unknown = sorted(set(given) - set(values))
    if unknown:
        raise ValueError(
            f"--values names {unknown}, which are not in --objectives"
        )
    values.update(given)
    base = TrainConfig(
        data=args.data,
        data_dir=args.data_dir,
        image_size=args.image_size,
        channels=args.channels,
        architecture=args.architecture,
        batch_size=args.batch_size,
        epochs=1,
        steps_per_epoch=args.steps,
        learning_rate=args.learning_rate,
        optimizer=args.optimizer,
        backup_every=args.backup_every,
        precision=args.precision,
    )
    check_precision_support(base.precision)
    objective_args = {name: {} for name in values}
    objective_args.setdefault("annealed_vae", {}).update(
        num_steps=capacity_steps(args, args.steps), gamma=args.capacity_gamma
    )
    for option, value in args.objective_args.items():
        takers = [n for n in values if option in objective_options(n)]
        if not takers:
            raise ValueError(
                f"--objective-arg {option}: no compared objective "
                f"({', '.join(values)}) takes it"
            )
        for name in takers:
            objective_args[name][option] = value
    run_comparison(
        args.output_dir,
        values=values,
        seeds=args.seeds,
        latent_dim=args.latent_dim,
        base_config=base,
        metrics=args.metrics,
        protocol=args.protocol,
        max_runs=args.max_runs,
        objective_args=objective_args,
        tensorboard_dir=args.tensorboard,
    )
    print(
        f"wrote {args.output_dir}/: results.csv, comparison.md, "
        "comparison.png, comparison.json"
    )
    return 0
