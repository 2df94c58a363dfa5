"""One training run, end to end: data, model, fit, and the files it leaves.

``train(TrainConfig(...))`` is what ``python -m keras_bvae train`` runs; the
sweep and the notebooks call it too. A run folder holds:

    model.keras           the trained model (keras.models.load_model)
    history.csv           per-epoch losses (CSVLogger)
    reconstructions.png   inputs above their reconstructions
    traversals.png        each latent varied over [-2, 2], others fixed
    config.json           the settings of the run
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Sequence

import keras
import numpy as np

from keras_bvae.model import BetaVAE
from keras_bvae.plotting import (
    plot_reconstructions,
    plot_traversals,
    save_figure,
)

__all__ = ["TrainConfig", "train", "build_model", "write_json"]


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (defaults: the README's main job).

    Args:
        output_dir: str. Folder for the run's files.
        data: str. Data name for ``keras_bvae.datasets.get_data``.
        data_dir: str or None. tfds data folder for "dsprites-tfds".
        architecture: str. "burgess" or "higgins".
        latent_dim: int. Latent size M.
        beta: float or None. KL weight (None with normalized_beta).
        normalized_beta: float or None. beta * M / N instead of beta.
        likelihood: str. "bernoulli" or "gaussian".
        capacity_max, capacity_steps, capacity_gamma: capacity annealing
            (Burgess et al. 2018), used when capacity_max is set.
        batch_size, epochs, steps_per_epoch: the length of training.
        learning_rate: float. Adam's learning rate.
        seed: int. Seeds data order, initial weights and noise.
    """

    output_dir: str = "runs/quickstart"
    data: str = "dsprites-sim"
    data_dir: str | None = None
    architecture: str = "burgess"
    latent_dim: int = 10
    beta: float | None = 4.0
    normalized_beta: float | None = None
    likelihood: str = "bernoulli"
    capacity_max: float | None = None
    capacity_steps: int = 10_000
    capacity_gamma: float = 1000.0
    batch_size: int = 64
    epochs: int = 5
    steps_per_epoch: int = 500
    learning_rate: float = 5e-4
    seed: int = 0

    def __post_init__(self):
        for name in ("batch_size", "epochs", "steps_per_epoch"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if not self.learning_rate > 0:
            raise ValueError(
                f"learning_rate must be > 0; got {self.learning_rate!r}"
            )
        if self.normalized_beta is not None:
            self.beta = None


def build_model(config: TrainConfig, image_shape: Sequence[int]) -> BetaVAE:
    """The compiled BetaVAE a config describes."""
    capacity = None
    if config.capacity_max is not None:
        capacity = {
            "capacity_max": config.capacity_max,
            "num_steps": config.capacity_steps,
            "gamma": config.capacity_gamma,
        }
    keras.utils.set_random_seed(config.seed)
    model = BetaVAE(
        latent_dim=config.latent_dim,
        architecture=config.architecture,
        beta=config.beta,
        normalized_beta=config.normalized_beta,
        likelihood=config.likelihood,
        image_shape=tuple(image_shape),
        capacity=capacity,
        seed=config.seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return model


def write_json(path: str, payload) -> str:
    """Writes JSON atomically (temporary name, then rename)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def save_pictures(
    model: BetaVAE, images: np.ndarray, output_dir: str, kl_per_dim=None
) -> None:
    """Writes reconstructions.png and traversals.png for a model."""
    values = np.linspace(-2.0, 2.0, 9)
    save_figure(
        plot_reconstructions(images, model.reconstruct(images)),
        os.path.join(output_dir, "reconstructions.png"),
    )
    save_figure(
        plot_traversals(
            model.traverse(images[:1], values=values), values,
            kl_per_dim=kl_per_dim,
        ),
        os.path.join(output_dir, "traversals.png"),
    )


def train(
    config: TrainConfig,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
):
    """Trains one model and writes the run folder.

    Returns:
        (model, history): the trained BetaVAE and Keras History.
    """
    from keras_bvae import datasets

    os.makedirs(config.output_dir, exist_ok=True)
    data_kwargs = {}
    if config.data_dir is not None:
        data_kwargs["data_dir"] = config.data_dir
    data = datasets.get_data(config.data, **data_kwargs)
    dataset = datasets.make_dataset(
        data, batch_size=config.batch_size, seed=config.seed
    )
    model = build_model(config, data.observation_shape)
    write_json(
        os.path.join(config.output_dir, "config.json"),
        {**dataclasses.asdict(config), "model": model.get_config()},
    )
    started = time.time()
    history = model.fit(
        dataset,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=[
            keras.callbacks.CSVLogger(
                os.path.join(config.output_dir, "history.csv")
            ),
            *callbacks,
        ],
        verbose=verbose,
    )
    seconds = time.time() - started
    model.save(os.path.join(config.output_dir, "model.keras"))
    _, images = data.sample(8, np.random.default_rng(config.seed + 1))
    kl = [history.history[f"kl_{i}"][-1] for i in range(model.latent_dim)]
    save_pictures(model, images, config.output_dir, kl_per_dim=kl)
    write_json(
        os.path.join(config.output_dir, "summary.json"),
        {
            "train_seconds": round(seconds, 1),
            "final": {k: float(v[-1]) for k, v in history.history.items()},
        },
    )
    return model, history
