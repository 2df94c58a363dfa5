"""``keras-bvae train``: one training run into an output folder."""

from __future__ import annotations

import argparse

from keras_bvae.objectives import OBJECTIVES
from keras_bvae.runs.config import TrainConfig

# --data NAME: DATA_NAMES or the two "PREFIX:VALUE" forms. One string names
# the data completely, so it is what config.json, the resume check and a
# sweep's results.csv record (two folders never look alike); --data-dir
# keeps its one meaning, the tfds data folder.
DATA_HELP = (
    "{names} (default: {default}); folder:PATH, the PNG/JPEG images under "
    "PATH (subfolders too; no factors, so no supervised metrics); or "
    "tfds:NAME, the 'image' feature of a prepared tfds data set"
)


def add_capacity_arguments(parser: argparse.ArgumentParser) -> None:
    """--capacity-fraction and --capacity-gamma (sweep, compare): the
    annealed_vae schedule of runs of --steps steps."""
    parser.add_argument(
        "--capacity-fraction",
        type=float,
        default=1 / 3,
        help="annealed_vae reaches C_max after this fraction of --steps "
        "(default: 1/3, as 100,000 of Locatello et al.'s 300,000)",
    )
    parser.add_argument(
        "--capacity-gamma",
        type=float,
        default=1000.0,
        help="annealed_vae's gamma (default: 1000, Burgess et al.)",
    )


def capacity_steps(args: argparse.Namespace, steps: int) -> int:
    """The annealing steps ``add_capacity_arguments`` asks for."""
    if not 0 < args.capacity_fraction <= 1:
        raise ValueError(
            f"--capacity-fraction must be in (0, 1]; got "
            f"{args.capacity_fraction}"
        )
    return max(1, round(steps * args.capacity_fraction))


def add_optimizer_argument(parser: argparse.ArgumentParser) -> None:
    """--optimizer (train, sweep, compare): a Keras optimizer by name."""
    parser.add_argument(
        "--optimizer",
        default=TrainConfig.optimizer,
        help="a Keras optimizer by name, e.g. adagrad, rmsprop, sgd "
        "(default: adam, as Keras's Adam with TF's fused kernel); "
        "Higgins et al. 2017 used adagrad with --learning-rate 1e-2",
    )


def add_data_arguments(parser: argparse.ArgumentParser, default: str) -> None:
    """--data, --data-dir, --image-size and --channels (train, sweep,
    evaluate)."""
    from keras_bvae.datasets import DATA_NAMES

    add = parser.add_argument
    add(
        "--data",
        default=default,
        help=DATA_HELP.format(names=", ".join(DATA_NAMES), default=default),
    )
    add(
        "--data-dir",
        default=None,
        help="tfds data folder, for data read through tfds",
    )
    add(
        "--image-size",
        type=int,
        default=None,
        help="side of the square images for folder:PATH (default 64) and "
        "tfds:NAME (default: its own); the burgess network takes 16, 32, "
        "64, 128 or 256",
    )
    add(
        "--channels",
        type=int,
        default=None,
        choices=[1, 3],
        help="1 (grey) or 3 (colour) for folder:PATH (default 3) and "
        "tfds:NAME (default: its own)",
    )


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    """--precision (train, sweep, compare): the Keras policy trained in."""
    parser.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "bfloat16", "float16"],
        help="the networks' arithmetic: float32, or Keras's mixed_bfloat16 "
        "(a GPU, or a CPU with AMX or AVX512_BF16) or mixed_float16 (a "
        "GPU) policy; refused where the hardware has no such kernels "
        "(default: %(default)s)",
    )


_DEFAULTS = TrainConfig()

# Documented shortcuts of --objective-arg: (flags, option, help).
_SHORTCUTS = (
    (
        ("--beta",),
        "beta",
        "KL weight (beta_vae, default 4; 1 is the plain VAE) or "
        "total-correlation weight (beta_tcvae)",
    ),
    (("--normalized-beta",), "normalized_beta", "beta_vae's beta * M / N"),
    (
        ("--capacity-max",),
        "capacity_max",
        "annealed_vae's C_max (Burgess et al. 2018); selects annealed_vae",
    ),
    (
        ("--capacity-steps",),
        "num_steps",
        "annealed_vae's annealing steps (default: its 100,000)",
    ),
    (("--capacity-gamma",), "gamma", "annealed_vae's gamma (default 1000)"),
    (("--gamma",), "gamma", "factor_vae's TC weight (default 10)"),
    (
        ("--lambda-od",),
        "lambda_od",
        "dip_vae_i/ii's off-diagonal weight (default 10)",
    ),
)


class _ObjectiveArg(argparse.Action):
    """Stores NAME=VALUE (``--objective-arg``) or a shortcut's value in
    ``objective_args``; --capacity-max also implies annealed_vae."""

    def __init__(self, *args, option=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.option = option

    def __call__(self, parser, namespace, values, option_string=None):
        from keras_bvae.objectives.options import parse_objective_arg

        if self.option is None:
            try:
                name, value = parse_objective_arg(values)
            except ValueError as error:
                parser.error(str(error))
        else:
            name, value = self.option, values
        given = dict(getattr(namespace, "objective_args", None) or {})
        given[name] = value
        namespace.objective_args = given
        if self.option == "capacity_max":
            namespace.implied_objective = "annealed_vae"


def add_objective_arg_argument(parser: argparse.ArgumentParser) -> None:
    """--objective-arg NAME=VALUE (train, sweep, compare), repeatable."""
    parser.add_argument(
        "--objective-arg",
        dest="objective_args",
        action=_ObjectiveArg,
        default={},
        metavar="NAME=VALUE",
        help="an argument of the objective's constructor, checked against "
        "its signature (e.g. gamma=20); repeatable",
    )


def add_tensorboard_argument(parser: argparse.ArgumentParser) -> None:
    """--tensorboard DIR (train, sweep, compare)."""
    parser.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="TensorBoard logs: loss terms, per-latent KL, metric scores "
        "and labelled traversal images each epoch (sweep, compare: one "
        "folder a run, DIR/RUN_ID)",
    )


def objective_of(args: argparse.Namespace, default: str = "beta_vae") -> str:
    """The objective the parsed ``args`` ask for (--objective, or
    annealed_vae for --capacity-max)."""
    implied = getattr(args, "implied_objective", None)
    if args.objective and implied and args.objective != implied:
        raise ValueError(
            f"--capacity-max is an option of {implied}, not {args.objective}"
        )
    return args.objective or implied or default


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--output-dir",
        "--out",
        default=_DEFAULTS.output_dir,
        help="folder for model.keras, history.csv and pictures "
        "(default: %(default)s)",
    )
    add_data_arguments(parser, _DEFAULTS.data)
    add(
        "--architecture",
        default=_DEFAULTS.architecture,
        choices=["burgess", "higgins"],
    )
    add("--latent-dim", type=int, default=_DEFAULTS.latent_dim)
    add(
        "--objective",
        default=None,
        choices=sorted(OBJECTIVES),
        help="the beta-VAE family member to train (default: beta_vae with "
        "beta 4, or annealed_vae with --capacity-max)",
    )
    add_objective_arg_argument(parser)
    beta = parser.add_mutually_exclusive_group()
    for flags, option, text in _SHORTCUTS:
        group = beta if option in ("beta", "normalized_beta") else parser
        group.add_argument(
            *flags,
            type=float if option != "num_steps" else int,
            action=_ObjectiveArg,
            option=option,
            help=f"{text}; the same as --objective-arg {option}=VALUE",
        )
    add(
        "--likelihood",
        default=_DEFAULTS.likelihood,
        choices=["bernoulli", "gaussian"],
    )
    add("--batch-size", type=int, default=_DEFAULTS.batch_size)
    add("--epochs", type=int, default=_DEFAULTS.epochs)
    add("--steps-per-epoch", type=int, default=_DEFAULTS.steps_per_epoch)
    add("--learning-rate", type=float, default=_DEFAULTS.learning_rate)
    add_optimizer_argument(parser)
    add("--seed", type=int, default=_DEFAULTS.seed)
    add(
        "--backup-every",
        type=int,
        default=_DEFAULTS.backup_every,
        help="steps between backups in OUTPUT_DIR/backup; rerunning the "
        "same command after an interruption resumes from the last one "
        "(default: %(default)s)",
    )
    add_tensorboard_argument(parser)
    add_precision_argument(parser)
    add(
        "--fresh",
        action="store_true",
        help="delete an existing backup in OUTPUT_DIR and start over",
    )
    add(
        "--verbose",
        type=int,
        default=1,
        choices=[0, 1, 2],
        help="Keras progress: 1 a progress bar, 2 a line per epoch",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from keras_bvae.callbacks.backup import NonFiniteLossError
    from keras_bvae.runs.training import train

    config = TrainConfig.from_dict(
        {**vars(args), "objective": objective_of(args)}
    )
    try:
        train(
            config,
            verbose=args.verbose,
            fresh=args.fresh,
            tensorboard_dir=args.tensorboard,
        )
    except NonFiniteLossError as error:
        print(f"keras-bvae train: error: {error}", file=sys.stderr)
        return 3
    print(
        f"wrote {config.output_dir}/: model.keras, history.csv, "
        "reconstructions.png, traversals.png"
    )
    return 0
