"""``keras-bvae sweep``: beta x latent size x seed grid, resumable CSV, plots.

Example (the committed sweep is sweeps/run_sweep.sh, see sweeps/README.md):

    python -m keras_bvae sweep --out sweeps/dsprites_sim \\
        --latent-dims 5 10 20 --normalized-betas 0.001 0.01 0.1 \\
        --betas 1 --seeds 0 1 --steps 1500 --metrics beta_vae mig

Rerunning the same command after an interruption skips the runs already in
OUT/results.csv. ``--plot-only`` redraws the figures from the CSV.
"""

from __future__ import annotations

import argparse
import json

from keras_bvae.commands.train import (
    add_capacity_arguments,
    add_data_arguments,
    add_objective_arg_argument,
    add_optimizer_argument,
    add_precision_argument,
    add_tensorboard_argument,
    capacity_steps,
)
from keras_bvae.objectives import OBJECTIVES
from keras_bvae.precision import check_precision_support
from keras_bvae.runs.config import TrainConfig

_DEFAULTS = TrainConfig()


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--output-dir",
        "--out",
        required=True,
        help="folder for results.csv, runs/ and the figures",
    )
    add("--latent-dims", type=int, nargs="+", default=[10])
    add(
        "--normalized-betas",
        type=float,
        nargs="*",
        default=[],
        help="normalised betas beta*M/N (Higgins et al. 2017)",
    )
    add(
        "--betas",
        type=float,
        nargs="*",
        default=[],
        help="raw betas (e.g. 1 for the plain-VAE points)",
    )
    add(
        "--objective",
        default="beta_vae",
        choices=sorted(OBJECTIVES),
        help="the objective swept (default: beta_vae, over --betas / "
        "--normalized-betas); another objective sweeps --values of its "
        "hyperparameter (its class's ``hyperparameter``: beta_tcvae beta, "
        "annealed_vae capacity_max, factor_vae gamma, dip_vae_i/ii "
        "lambda_od)",
    )
    add(
        "--values",
        type=float,
        nargs="*",
        default=[],
        help="settings of the objective's hyperparameter (objectives other "
        "than beta_vae)",
    )
    add_capacity_arguments(parser)
    add_objective_arg_argument(parser)
    add_tensorboard_argument(parser)
    add_precision_argument(parser)
    add("--seeds", type=int, nargs="+", default=[0])
    add(
        "--steps",
        type=int,
        default=2000,
        help="training steps per run (default: %(default)s)",
    )
    add(
        "--steps-per-epoch",
        type=int,
        default=None,
        help="steps per Keras epoch (default: all steps in one epoch)",
    )
    add(
        "--metrics",
        nargs="*",
        default=None,
        help="metrics of the DisentanglementCallback; none for no callback "
        "(default: beta_vae, or none for data without factors such as "
        "folder:PATH, which the udr column ranks)",
    )
    add("--protocol", default="quick", choices=["quick", "full"])
    add(
        "--metric-settings",
        default=None,
        help='JSON protocol overrides, e.g. \'{"beta_vae": {"num_train": '
        "500}}'",
    )
    add("--metric-seed", type=int, default=0)
    add(
        "--eval-images",
        type=int,
        default=1024,
        help="held-out images for the final reconstruction loss and KL",
    )
    add_data_arguments(parser, _DEFAULTS.data)
    add(
        "--architecture",
        default=_DEFAULTS.architecture,
        choices=["burgess", "higgins"],
    )
    add(
        "--likelihood",
        default=_DEFAULTS.likelihood,
        choices=["bernoulli", "gaussian"],
    )
    add("--batch-size", type=int, default=_DEFAULTS.batch_size)
    add("--learning-rate", type=float, default=_DEFAULTS.learning_rate)
    add_optimizer_argument(parser)
    add("--backup-every", type=int, default=500)
    add(
        "--max-runs",
        type=int,
        default=None,
        help="stop after training this many runs",
    )
    add(
        "--plot-only",
        action="store_true",
        help="only redraw the figures from OUT/results.csv",
    )
    add(
        "--no-udr",
        action="store_true",
        help="skip the label-free UDR column (Duan et al. 2020) computed "
        "over the seeds of each grid point",
    )
    add(
        "--verbose",
        type=int,
        default=1,
        choices=[0, 1, 2],
        help="1: a line per run; 2: also Keras's per-epoch lines",
    )


def run(args: argparse.Namespace) -> int:
    from keras_bvae.runs import sweep, sweep_plots

    if not args.plot_only:
        steps_per_epoch = args.steps_per_epoch or args.steps
        if args.steps % steps_per_epoch:
            raise ValueError(
                f"--steps {args.steps} is not a multiple of "
                f"--steps-per-epoch {steps_per_epoch}"
            )
        settings = None
        if args.metric_settings:
            try:
                settings = json.loads(args.metric_settings)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"--metric-settings is not JSON: {error}"
                ) from None
        grid = sweep.make_grid(
            args.latent_dims,
            args.normalized_betas,
            args.betas,
            args.seeds,
            objective=args.objective,
            values=args.values,
        )
        base = TrainConfig(
            data=args.data,
            data_dir=args.data_dir,
            image_size=args.image_size,
            channels=args.channels,
            architecture=args.architecture,
            likelihood=args.likelihood,
            batch_size=args.batch_size,
            epochs=args.steps // steps_per_epoch,
            steps_per_epoch=steps_per_epoch,
            learning_rate=args.learning_rate,
            optimizer=args.optimizer,
            backup_every=args.backup_every,
            precision=args.precision,
        )
        objective_args = {
            "annealed_vae": {
                "num_steps": capacity_steps(args, args.steps),
                "gamma": args.capacity_gamma,
            }
        }
        objective_args.setdefault(args.objective, {}).update(
            args.objective_args
        )
        check_precision_support(base.precision)
        sweep.run_sweep(
            grid,
            args.output_dir,
            base_config=base,
            metrics=args.metrics,
            protocol=args.protocol,
            metric_settings=settings,
            metric_seed=args.metric_seed,
            eval_images=args.eval_images,
            max_runs=args.max_runs,
            verbose=min(args.verbose, 1),
            fit_verbose=2 if args.verbose == 2 else 0,
            udr=not args.no_udr,
            objective_args=objective_args,
            tensorboard_dir=args.tensorboard,
        )
    rows = sweep.read_results(args.output_dir)
    if any((r.get("objective") or "beta_vae") != "beta_vae" for r in rows):
        # The beta figures need betas: other objectives get the comparison.
        from keras_bvae.runs.compare import write_comparison

        try:
            paths = write_comparison(rows, args.output_dir)
        except ValueError as error:  # no run with a score (yet)
            print(f"no table or figure: {error}")
            return 0
    else:
        paths = sweep_plots.plot_sweep(args.output_dir)
    print("wrote " + ", ".join(paths))
    return 0
