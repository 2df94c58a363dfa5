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
        help="the beta-VAE family member to train (default: beta_vae, or "
        "annealed_vae with --capacity-max); each reads its own settings: "
        "beta_vae --beta/--normalized-beta, beta_tcvae --beta, "
        "annealed_vae --capacity-*, factor_vae --gamma, dip_vae_i/ii "
        "--lambda-od",
    )
    beta = parser.add_mutually_exclusive_group()
    beta.add_argument(
        "--beta",
        type=float,
        default=_DEFAULTS.beta,
        help="KL weight (beta_vae; 1 is the plain VAE) or total-correlation "
        "weight (beta_tcvae) (default: 4)",
    )
    beta.add_argument(
        "--normalized-beta",
        type=float,
        default=None,
        help="beta * latent_dim / pixels, instead of --beta",
    )
    add(
        "--likelihood",
        default=_DEFAULTS.likelihood,
        choices=["bernoulli", "gaussian"],
    )
    add(
        "--capacity-max",
        type=float,
        default=None,
        help="enable capacity annealing (Burgess et al. 2018) to this C_max",
    )
    add("--capacity-steps", type=int, default=_DEFAULTS.capacity_steps)
    add("--capacity-gamma", type=float, default=_DEFAULTS.capacity_gamma)
    add(
        "--gamma",
        type=float,
        default=None,
        help="FactorVAE's total-correlation weight (default: 10)",
    )
    add(
        "--lambda-od",
        type=float,
        default=None,
        help="DIP-VAE's off-diagonal weight (default: 10); lambda_d is "
        "10x it (I) or equal (II)",
    )
    add("--batch-size", type=int, default=_DEFAULTS.batch_size)
    add("--epochs", type=int, default=_DEFAULTS.epochs)
    add("--steps-per-epoch", type=int, default=_DEFAULTS.steps_per_epoch)
    add("--learning-rate", type=float, default=_DEFAULTS.learning_rate)
    add("--seed", type=int, default=_DEFAULTS.seed)
    add(
        "--backup-every",
        type=int,
        default=_DEFAULTS.backup_every,
        help="steps between backups in OUTPUT_DIR/backup; rerunning the "
        "same command after an interruption resumes from the last one "
        "(default: %(default)s)",
    )
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

    config = TrainConfig.from_dict(vars(args))
    try:
        train(config, verbose=args.verbose, fresh=args.fresh)
    except NonFiniteLossError as error:
        print(f"keras-bvae train: error: {error}", file=sys.stderr)
        return 3
    print(
        f"wrote {config.output_dir}/: model.keras, history.csv, "
        "reconstructions.png, traversals.png"
    )
    return 0
