"""The settings of one training run and the model they describe."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence

import keras
import numpy as np

from keras_bvae.datasets import check_data_name
from keras_bvae.datasets.stream import observation_shape_of
from keras_bvae.distributions import LIKELIHOODS
from keras_bvae.model import BetaVAE
from keras_bvae.networks import ARCHITECTURES, burgess_depth
from keras_bvae.objectives import (
    OBJECTIVES,
    AnnealedVAE,
    BetaTCVAE,
    BetaVAEObjective,
    FactorVAE,
    Objective,
    get_objective,
)
from keras_bvae.optimizers import FusedAdam
from keras_bvae.precision import POLICIES, precision_scope
from keras_bvae.validation import check_int, check_number

__all__ = [
    "RESUMABLE_CHANGES",
    "TrainConfig",
    "build_model",
    "build_objective",
    "load_data",
    "model_for_run",
]

# Settings that may differ between an interrupted run and its resumption.
RESUMABLE_CHANGES = ("epochs", "backup_every")

# Objective settings and the objectives that read them.
_OPTION_USERS = {
    "normalized_beta": ("beta_vae",),
    "capacity_max": ("annealed_vae",),
    "gamma": ("factor_vae",),
    "lambda_od": ("dip_vae_i", "dip_vae_ii"),
}


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (defaults: the README's main job).

    Args:
        output_dir: str. Folder for the run's files.
        objective: str or None. A name in ``keras_bvae.objectives.
            OBJECTIVES``; None picks "annealed_vae" when ``capacity_max``
            is set and "beta_vae" otherwise.
        data: str. Data name for ``keras_bvae.datasets.get_data``: a
            name in ``DATA_NAMES``, "folder:PATH" (a folder of PNG/JPEG
            images) or "tfds:NAME" (a tfds image data set).
        data_dir: str or None. tfds data folder for data read by tfds.
        image_size: int or None. Side of the square images for
            "folder:PATH" (default 64) and "tfds:NAME" (default: its own);
            refused for data with fixed images. The "burgess" network
            takes 16, 32, 64, 128 or 256.
        channels: int or None. 1 or 3, for "folder:PATH" (default 3) and
            "tfds:NAME" (default: its own); refused for fixed images.
        architecture: str. "burgess" or "higgins".
        latent_dim: int. Latent size M.
        beta: float or None. KL weight of "beta_vae" (None with
            normalized_beta), total-correlation weight of "beta_tcvae".
        normalized_beta: float or None. beta * M / N instead of beta
            ("beta_vae" only).
        likelihood: str. "bernoulli" or "gaussian".
        capacity_max, capacity_steps, capacity_gamma: capacity annealing
            (Burgess et al. 2018), used when capacity_max is set.
        gamma: float or None. TC weight of "factor_vae" (None: its
            default).
        lambda_od: float or None. Off-diagonal weight of "dip_vae_i" and
            "dip_vae_ii" (None: their default); lambda_d follows it.
        batch_size, epochs, steps_per_epoch: the length of training.
        learning_rate: float. Adam's learning rate.
        seed: int. Seeds data order, initial weights and noise.
        backup_every: int. Steps between backups for resuming.
        precision: str. "float32", "bfloat16" or "float16": the networks'
            arithmetic, as Keras's float32, mixed_bfloat16 or mixed_float16
            policy (``keras_bvae.precision``; checked against the hardware
            when the model is built).
    """

    output_dir: str = "runs/quickstart"
    objective: str | None = None
    data: str = "dsprites-sim"
    data_dir: str | None = None
    image_size: int | None = None
    channels: int | None = None
    architecture: str = "burgess"
    latent_dim: int = 10
    beta: float | None = 4.0
    normalized_beta: float | None = None
    likelihood: str = "bernoulli"
    capacity_max: float | None = None
    capacity_steps: int = 10_000
    capacity_gamma: float = 1000.0
    gamma: float | None = None
    lambda_od: float | None = None
    batch_size: int = 64
    epochs: int = 5
    steps_per_epoch: int = 500
    learning_rate: float = 5e-4
    seed: int = 0
    backup_every: int = 100
    precision: str = "float32"

    def __post_init__(self):
        for name in (
            "batch_size",
            "epochs",
            "steps_per_epoch",
            "latent_dim",
            "capacity_steps",
            "backup_every",
        ):
            check_int(name, getattr(self, name), minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.image_size is not None:
            check_int("image_size", self.image_size, minimum=1)
        if self.channels is not None and (
            isinstance(self.channels, bool) or self.channels not in (1, 3)
        ):
            raise ValueError(f"channels must be 1 or 3; got {self.channels!r}")
        check_data_name(self.data, self.image_size, self.channels)
        if self.objective is not None and self.objective not in OBJECTIVES:
            raise ValueError(
                f"unknown objective {self.objective!r}; choose one of "
                f"{sorted(OBJECTIVES)}"
            )
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"unknown architecture {self.architecture!r}; choose one of "
                f"{sorted(ARCHITECTURES)}"
            )
        if self.architecture == "burgess" and self.image_size is not None:
            burgess_depth((self.image_size, self.image_size, 1))
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {self.likelihood!r}; choose one of "
                f"{list(LIKELIHOODS)}"
            )
        if (
            self.beta is not None
            and self.normalized_beta is not None
            and (self.beta != TrainConfig.beta)
        ):
            raise ValueError(
                f"give beta or normalized_beta, not both (got beta="
                f"{self.beta}, normalized_beta={self.normalized_beta})"
            )
        if self.normalized_beta is not None:
            self.beta = None
        name = self.objective_name
        if (
            self.beta is not None
            and self.beta != TrainConfig.beta
            and name not in ("beta_vae", "beta_tcvae")
        ):
            raise ValueError(
                f"beta applies to the objective beta_vae or beta_tcvae, not "
                f"{name!r}"
            )
        for option, users in _OPTION_USERS.items():
            if getattr(self, option) is not None and name not in users:
                raise ValueError(
                    f"{option} applies to the objective "
                    f"{' or '.join(users)}, not {name!r}"
                )
        for name in (
            "beta",
            "normalized_beta",
            "capacity_max",
            "gamma",
            "lambda_od",
        ):
            value = getattr(self, name)
            if value is not None:
                check_number(name, value, minimum=0.0)
        check_number("capacity_gamma", self.capacity_gamma, minimum=0.0)
        check_number("learning_rate", self.learning_rate, positive=True)
        if self.precision not in POLICIES:
            raise ValueError(
                f"precision must be one of {list(POLICIES)}; got "
                f"{self.precision!r}"
            )

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """The config in ``values`` (parsed arguments, a run's
        ``config.json``), ignoring keys that are not settings (the model's
        own config, command-line-only options).

        Example:
            >>> with open("runs/quickstart/config.json") as f:
            ...     config = TrainConfig.from_dict(json.load(f))
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in fields})

    @property
    def objective_name(self) -> str:
        """The objective trained: ``objective``, else "annealed_vae" when
        ``capacity_max`` is set, else "beta_vae"."""
        if self.objective is not None:
            return self.objective
        return "beta_vae" if self.capacity_max is None else "annealed_vae"


def load_data(config: TrainConfig):
    """The data a config names: ``get_data`` with its data options."""
    from keras_bvae.datasets import get_data

    return get_data(
        config.data,
        data_dir=config.data_dir,
        image_size=config.image_size,
        channels=config.channels,
    )


def build_objective(config: TrainConfig) -> Objective:
    """The objective part a config describes."""
    name = config.objective_name
    if name == "beta_vae":
        return BetaVAEObjective(
            beta=config.beta, normalized_beta=config.normalized_beta
        )
    if name == "annealed_vae":
        return AnnealedVAE(
            capacity_max=25.0
            if config.capacity_max is None
            else config.capacity_max,
            num_steps=config.capacity_steps,
            gamma=config.capacity_gamma,
        )
    if name == "beta_tcvae":
        return BetaTCVAE() if config.beta is None else BetaTCVAE(config.beta)
    if name == "factor_vae":
        options = {} if config.gamma is None else {"gamma": config.gamma}
        return FactorVAE(seed=config.seed, **options)
    if name in ("dip_vae_i", "dip_vae_ii"):
        options = {}
        if config.lambda_od is not None:
            options["lambda_od"] = config.lambda_od
        return OBJECTIVES[name](**options)
    return get_objective(name)


def build_model(
    config: TrainConfig,
    image_shape: Sequence[int],
    distributed: bool = False,
) -> BetaVAE:
    """The compiled BetaVAE a config describes.

    Compiled with ``FusedAdam`` (Keras's Adam with TF's fused kernel), or
    with ``keras.optimizers.Adam`` when ``distributed`` (FusedAdam runs
    under the default strategy only); built under the Keras policy of
    ``config.precision``, which is refused where the hardware cannot run
    it (``keras_bvae.precision.check_precision_support``).
    """
    keras.utils.set_random_seed(config.seed)
    with precision_scope(config.precision):
        model = BetaVAE(
            latent_dim=config.latent_dim,
            architecture=config.architecture,
            objective=build_objective(config),
            likelihood=config.likelihood,
            image_shape=tuple(image_shape),
            seed=config.seed,
        )
        adam = keras.optimizers.Adam if distributed else FusedAdam
        model.compile(optimizer=adam(config.learning_rate))
    return model


def model_for_run(output_dir: str):
    """``(config, data, model)`` of a run folder, the model built with its
    optimiser so that any of the run's backups (``step-*.weights.h5``:
    weights and Adam state) loads with ``model.load_weights``.

    Example:
        >>> config, data, model = model_for_run("runs/quickstart")
        >>> model.load_weights(glob.glob("runs/quickstart/backup/*.h5")[0])
    """
    with open(os.path.join(output_dir, "config.json")) as handle:
        config = TrainConfig.from_dict(json.load(handle))
    data = load_data(config)
    shape = observation_shape_of(data)
    model = build_model(config, shape)
    model(np.zeros((1, *shape), np.float32))
    model.optimizer.build(model.trainable_variables)
    return config, data, model
