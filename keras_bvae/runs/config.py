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
from keras_bvae.model import BetaVAE, check_latent_dim
from keras_bvae.networks import ARCHITECTURES, burgess_depth
from keras_bvae.objectives import Objective
from keras_bvae.objectives.options import (
    build_objective as make_objective,
)
from keras_bvae.objectives.options import (
    check_objective_args,
    objective_class,
    objective_options,
)
from keras_bvae.optimizers import FusedAdam
from keras_bvae.precision import POLICIES, precision_scope
from keras_bvae.validation import check_int, check_number

__all__ = [
    "RESUMABLE_CHANGES",
    "TrainConfig",
    "build_model",
    "build_optimizer",
    "build_objective",
    "load_data",
    "model_for_run",
]

# Settings that may differ between an interrupted run and its resumption
# (output_dir: a run folder copied to another machine or path resumes).
RESUMABLE_CHANGES = ("epochs", "backup_every", "output_dir")

# Keys of config.json files written before ``objective_args`` (0.x runs):
# their objective option, by objective (``_legacy_objective_args``).
_LEGACY_OPTIONS = {
    "beta": "beta",
    "normalized_beta": "normalized_beta",
    "capacity_max": "capacity_max",
    "capacity_steps": "num_steps",
    "capacity_gamma": "gamma",
    "gamma": "gamma",
    "lambda_od": "lambda_od",
}


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (defaults: the README's main job).

    Args:
        output_dir: str. Folder for the run's files.
        objective: str. A name in ``keras_bvae.objectives.OBJECTIVES``.
            Defaults to "beta_vae".
        objective_args: dict. Constructor arguments of the objective,
            checked against its signature
            (``keras_bvae.objectives.options``); empty gives the class's
            ``run_defaults`` (beta_vae: beta = 4). A ``seed`` argument
            the objective takes defaults to ``seed``.
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
        likelihood: str. "bernoulli" or "gaussian".
        batch_size, epochs, steps_per_epoch: the length of training.
        optimizer: str. A Keras optimizer by name ("adam", "adagrad",
            "rmsprop", "sgd", ...), built with ``learning_rate`` and
            Keras's other defaults; "adam" is ``FusedAdam`` (the same
            maths, TF's fused kernel). Higgins et al. (2017) trained with
            "adagrad" at 1e-2.
        learning_rate: float. The optimizer's learning rate.
        seed: int. Seeds data order, initial weights and noise.
        backup_every: int. Steps between backups for resuming.
        precision: str. "float32", "bfloat16" or "float16": the networks'
            arithmetic, as Keras's float32, mixed_bfloat16 or mixed_float16
            policy (``keras_bvae.precision``; checked against the hardware
            when the model is built).
    """

    output_dir: str = "runs/quickstart"
    objective: str = "beta_vae"
    objective_args: dict = dataclasses.field(default_factory=dict)
    data: str = "dsprites-sim"
    data_dir: str | None = None
    image_size: int | None = None
    channels: int | None = None
    architecture: str = "burgess"
    latent_dim: int = 10
    likelihood: str = "bernoulli"
    batch_size: int = 64
    epochs: int = 5
    steps_per_epoch: int = 500
    learning_rate: float = 5e-4
    optimizer: str = "adam"
    seed: int = 0
    backup_every: int = 100
    precision: str = "float32"

    def __post_init__(self):
        for name in (
            "batch_size",
            "epochs",
            "steps_per_epoch",
            "latent_dim",
            "backup_every",
        ):
            check_int(name, getattr(self, name), minimum=1)
        check_latent_dim(self.latent_dim)
        check_int("seed", self.seed, minimum=0)
        if self.image_size is not None:
            check_int("image_size", self.image_size, minimum=1)
        if self.channels is not None and (
            isinstance(self.channels, bool) or self.channels not in (1, 3)
        ):
            raise ValueError(f"channels must be 1 or 3; got {self.channels!r}")
        check_data_name(self.data, self.image_size, self.channels)
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
        if not isinstance(self.objective_args, dict):
            raise ValueError(
                f"objective_args must be a dict; got {self.objective_args!r}"
            )
        cls = objective_class(self.objective)
        self.objective_args = check_objective_args(
            self.objective, self.objective_args or cls.run_defaults
        )
        build_objective(self)  # the objective's own checks of the values
        check_number("learning_rate", self.learning_rate, positive=True)
        build_optimizer(self.optimizer, self.learning_rate)
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
        settings = {k: v for k, v in values.items() if k in fields}
        if "objective_args" not in values:
            settings.update(_legacy_objective_args(values))
        return cls(**settings)


def _legacy_objective_args(values: dict) -> dict:
    """``objective`` and ``objective_args`` of a config.json written before
    ``objective_args``: its option keys that the objective takes (None:
    the old "not given"; a beta of the old default 4.0 that an objective
    without beta ignored is dropped the same way)."""
    objective = values.get("objective") or (
        "beta_vae" if values.get("capacity_max") is None else "annealed_vae"
    )
    options = objective_options(objective)
    args = {}
    for key, option in _LEGACY_OPTIONS.items():
        value = values.get(key)
        if value is None or option not in options:
            continue
        if key == "gamma" and objective == "annealed_vae":
            continue  # the old FactorVAE weight; annealing had its own
        args[option] = value
    return {"objective": objective, "objective_args": args}


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
    """The objective part a config describes (``objective_args``, its
    ``seed`` defaulting to the run's)."""
    return make_objective(
        config.objective, config.objective_args, seed=config.seed
    )


def build_optimizer(
    name: str, learning_rate: float, distributed: bool = False
) -> keras.optimizers.Optimizer:
    """A Keras optimizer by name with this learning rate.

    Args:
        name: str. A name ``keras.optimizers.get`` knows ("adam",
            "adagrad", "rmsprop", "sgd", ...), any case.
        learning_rate: float. Its learning rate; its other settings are
            Keras's defaults.
        distributed: bool. "adam" is ``FusedAdam`` unless True, then
            ``keras.optimizers.Adam`` (FusedAdam runs under the default
            strategy only).

    Returns:
        A new, unbuilt optimizer.

    Example:
        >>> build_optimizer("adagrad", 1e-2).name
        'adagrad'
    """
    if not isinstance(name, str):
        raise ValueError(f"optimizer must be a name; got {name!r}")
    key = name.lower()
    if key == "adam":
        adam = keras.optimizers.Adam if distributed else FusedAdam
        return adam(learning_rate)
    try:
        cls = type(keras.optimizers.get(key))
    except (ValueError, TypeError, KeyError):
        cls = None
    if cls is None or key == "lossscaleoptimizer":
        raise ValueError(
            f"unknown optimizer {name!r}; give a Keras optimizer's name "
            "such as adam, adagrad, rmsprop or sgd"
        )
    return cls(learning_rate=learning_rate)


def build_model(
    config: TrainConfig,
    image_shape: Sequence[int],
    distributed: bool = False,
) -> BetaVAE:
    """The compiled BetaVAE a config describes.

    Compiled with ``build_optimizer(config.optimizer, ...)``: for "adam"
    ``FusedAdam`` (Keras's Adam with TF's fused kernel), or
    ``keras.optimizers.Adam`` when ``distributed`` (FusedAdam runs under
    the default strategy only); built under the Keras policy of
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
        model.compile(
            optimizer=build_optimizer(
                config.optimizer, config.learning_rate, distributed
            )
        )
    return model


def model_for_run(output_dir: str):
    """``(config, data, model)`` of a run folder, the model built with its
    optimiser so that any of the run's backups (``step-*.weights.h5``:
    weights and optimizer state) loads with ``model.load_weights``.

    Example:
        >>> config, data, model = model_for_run("runs/quickstart")
        >>> model.load_weights(glob.glob("runs/quickstart/backup/*.h5")[0])
    """
    path = os.path.join(output_dir, "backup", "config.json")  # in progress
    if not os.path.isfile(path):
        path = os.path.join(output_dir, "config.json")
    with open(path) as handle:
        config = TrainConfig.from_dict(json.load(handle))
    data = load_data(config)
    shape = observation_shape_of(data)
    model = build_model(config, shape)
    model(np.zeros((1, *shape), np.float32))
    model.optimizer.build(model.trainable_variables)
    return config, data, model
