"""Choosing beta with Keras Tuner: a HyperModel and its objective.

``BetaVAEHyperModel`` declares beta (raw or normalised, a list of choices
or a log-uniform range) and, optionally, the latent size and the capacity
C_max of Burgess et al. (2018) as hyperparameters; ``fit`` trains on a
ground-truth data set with a ``DisentanglementCallback``, so the scores
enter the epoch logs and the tuner reads its objective there. The objective
is either a score (``beta_vae_eval_accuracy``, ``mig``, ... direction max)
or the mix

    objective_mix = score - reconstruction_weight * distortion / N,

with distortion the epoch's mean reconstruction loss (nats per image) and
N the pixels per image, so the weight is in units of score per nat per
pixel. A trial's value is the best epoch's (Keras Tuner's rule for a
History).

Without labels. ``score="udr"`` ranks hyperparameters by Unsupervised
Disentanglement Ranking (Duan et al., ICLR 2020): each trial trains
``udr_seeds`` models with its hyperparameters and the seeds seed,
seed + 1, ... and its value is their median UDR on the posterior means of
fixed held-out images, computed after the last epoch. No metric callback
is needed (``metrics`` defaults to none), so image sets without factors
(``ImageSet``, ``ImageFolder``) can be tuned. A trial then costs
``udr_seeds`` trainings.

Distributed tuning. With the environment variables KERASTUNER_TUNER_ID
("chief" for the oracle, "tuner0", "tuner1", ... for workers),
KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT set, the same script run as
one chief and several workers shares the trials through the chief's gRPC
oracle (Keras Tuner's own mechanism): ``tune`` then blocks in the chief
until all trials are done and trains trials in the workers. All processes
need the same ``directory`` and ``project_name``.

Example:
```python
hypermodel = BetaVAEHyperModel(
    "dsprites-sim", normalized_betas=[0.001, 0.004, 0.016],
    steps_per_epoch=500, metrics=["beta_vae"])
tuner = make_tuner(hypermodel, "grid", directory="tuning")
tuner.search(epochs=4)
tuner.get_best_hyperparameters()[0].values

# Without labels: the median UDR of 3 seeds per beta.
hypermodel = BetaVAEHyperModel(
    ImageFolder("faces/"), betas=[1, 4, 16], score="udr", udr_seeds=3)
```
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import keras
import keras_tuner

from keras_bvae.callbacks.disentanglement import (
    DisentanglementCallback,
)
from keras_bvae.datasets import get_data
from keras_bvae.datasets.stream import make_dataset
from keras_bvae.disentanglement.udr import codes_and_kl
from keras_bvae.objectives import OBJECTIVES
from keras_bvae.runs.config import TrainConfig, build_model
from keras_bvae.runs.sweep import held_out_images
from keras_bvae.runs.tuning_callbacks import (
    MIX_NAME,
    UDR_NAME,
    ObjectiveMix,
    _UDRAtLastEpoch,
)
from keras_bvae.runs.tuning_settings import (
    check_scoring,
    check_search_space,
)
from keras_bvae.validation import check_int, check_number

__all__ = [
    "BetaVAEHyperModel",
    "ObjectiveMix",
    "distributed_role",
    "make_tuner",
    "tune",
    "MIX_NAME",
    "UDR_NAME",
]


class BetaVAEHyperModel(keras_tuner.HyperModel):
    """beta-VAE with beta (and optionally M, C_max) as hyperparameters.

    Give exactly one of ``betas``, ``normalized_betas`` (hp.Choice over the
    listed values) or ``beta_range`` (hp.Float, log sampling). For another
    objective of the family give ``objective`` and ``values`` instead: the
    hp.Choice is then over its ``hyperparameter`` (e.g. FactorVAE's
    "gamma").

    With ``score="udr"`` the trial's value is the median UDR of
    ``udr_seeds`` models trained with its hyperparameters (module
    docstring): the ``model`` Keras Tuner built (seed ``seed``, the one it
    saves) and ``udr_seeds - 1`` siblings built the same way with seeds
    ``seed + 1``, ... and trained first, kept only as their codes. The
    name "udr" is the score's name everywhere (the sweep's ``udr``
    column), and the seeds are a count rather than a list because UDR
    only needs them to differ; they stay apart from the hp space so the
    oracle never treats a seed as a hyperparameter to choose.

    Args:
        data: GroundTruthData or str. Training data and ground truth of the
            metrics (a name for ``keras_bvae.datasets.get_data``); with
            ``score="udr"`` and no metrics, any images (no factors
            needed).
        betas: sequence of float or None. Raw betas to choose from.
        normalized_betas: sequence of float or None. beta * M / N values.
        beta_range: (low, high) or None. Raw beta range, log-uniform.
        objective: str. A name in ``keras_bvae.objectives.OBJECTIVES``.
            Defaults to "beta_vae".
        values: sequence of float or None. Settings of the objective's
            hyperparameter, for objectives other than "beta_vae" (e.g.
            ``OBJECTIVES["factor_vae"].study_grid``).
        latent_dims: int or sequence of int. Latent size(s) M; several
            make "latent_dim" a hyperparameter. Defaults to 10.
        capacity_max: None or sequence of float. C_max choices (Burgess et
            al. 2018; beta is then unused by the loss). Defaults to None.
        capacity_steps, capacity_gamma: the capacity schedule's settings.
        architecture, likelihood, batch_size, learning_rate, optimizer:
            as in ``TrainConfig``.
        steps_per_epoch: int. Training steps per epoch; the number of
            epochs is ``search(epochs=...)``. Defaults to 500.
        metrics: sequence of str or None. Metrics of the callback; may be
            empty with ``score="udr"``. Defaults to ("beta_vae",), or to
            none with ``score="udr"``.
        protocol: str. Metric protocol. Defaults to "quick".
        metric_settings: dict or None. Protocol overrides.
        score: str. The log name the objective uses. Defaults to the first
            score of the first metric (``beta_vae_train_accuracy`` is
            skipped in favour of ``beta_vae_eval_accuracy``); "udr" for
            Unsupervised Disentanglement Ranking (no labels).
        reconstruction_weight: float. If > 0, the objective is
            ``objective_mix`` (module docstring); not with "udr".
            Defaults to 0.
        udr_seeds: int >= 2. Models per trial with ``score="udr"``, the
            tuner's included. Defaults to 3.
        udr_method: str. "lasso" or "spearman", the UDR variant. Defaults
            to "lasso".
        udr_images: int. Held-out images the UDR codes are taken on,
            drawn once from the data with ``seed`` (``held_out_images``).
            Defaults to 1000 (Duan et al.).
        seed: int. Seed of weights, data order and noise (the same for
            every trial, so trials differ only by hyperparameters) and of
            the metrics. Defaults to 0.
        every_n_epochs: int. Score every N epochs. Defaults to 1.
        precision: str. "float32", "bfloat16" or "float16", as
            ``TrainConfig.precision``. Defaults to "float32".
    """

    def __init__(
        self,
        data: Any,
        betas: Sequence[float] | None = None,
        normalized_betas: Sequence[float] | None = None,
        beta_range: tuple[float, float] | None = None,
        latent_dims: int | Sequence[int] = 10,
        objective: str = "beta_vae",
        values: Sequence[float] | None = None,
        capacity_max: Sequence[float] | None = None,
        capacity_steps: int = 10_000,
        capacity_gamma: float = 1000.0,
        architecture: str = "burgess",
        likelihood: str = "bernoulli",
        batch_size: int = 64,
        learning_rate: float = 5e-4,
        optimizer: str = "adam",
        steps_per_epoch: int = 500,
        metrics: Sequence[str] | None = None,
        protocol: str = "quick",
        metric_settings: dict | None = None,
        score: str | None = None,
        reconstruction_weight: float = 0.0,
        udr_seeds: int = 3,
        udr_method: str = "lasso",
        udr_images: int = 1000,
        seed: int = 0,
        every_n_epochs: int = 1,
        name: str | None = None,
        precision: str = "float32",
    ):
        super().__init__(name=name, tunable=True)
        # What the trials vary and how they are scored: objective_name,
        # values, betas, normalized_betas, beta_range, latent_dims,
        # capacity_max; metrics, score, reconstruction_weight, udr_*.
        vars(self).update(
            check_search_space(
                objective,
                values,
                betas,
                normalized_betas,
                beta_range,
                latent_dims,
                capacity_max,
            )
        )
        vars(self).update(
            check_scoring(
                metrics,
                score,
                reconstruction_weight,
                udr_seeds,
                udr_method,
                udr_images,
            )
        )
        if isinstance(data, str):
            data = get_data(data)
        self.data = data
        self.last_udr: dict | None = None
        self.protocol = protocol
        self.metric_settings = metric_settings
        self.every_n_epochs = int(every_n_epochs)
        self.capacity_steps = check_int(
            "capacity_steps", capacity_steps, minimum=1
        )
        self.capacity_gamma = check_number(
            "capacity_gamma", capacity_gamma, minimum=0.0
        )
        # Validates the training settings once, with TrainConfig's messages.
        self._base = TrainConfig(
            architecture=architecture,
            likelihood=likelihood,
            latent_dim=self.latent_dims[0],
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            steps_per_epoch=steps_per_epoch,
            seed=seed,
            precision=precision,
        )

    @property
    def objective(self) -> keras_tuner.Objective:
        """What the tuner maximises: the score (maybe "udr") or
        ``objective_mix``."""
        name = MIX_NAME if self.reconstruction_weight > 0 else self.score
        return keras_tuner.Objective(name, direction="max")

    def config_for(self, hp: keras_tuner.HyperParameters) -> TrainConfig:
        """The TrainConfig of one trial's hyperparameter values."""
        if len(self.latent_dims) > 1:
            latent_dim = hp.Choice("latent_dim", self.latent_dims)
        else:
            latent_dim = self.latent_dims[0]
        objective, args = self.objective_name, {}
        if self.values is not None:
            name = OBJECTIVES[objective].hyperparameter
            args[name] = hp.Choice(name, self.values)
        elif self.betas is not None:
            args["beta"] = hp.Choice("beta", self.betas)
        elif self.normalized_betas is not None:
            args["normalized_beta"] = hp.Choice(
                "normalized_beta", self.normalized_betas
            )
        elif self.beta_range is not None:
            args["beta"] = hp.Float("beta", *self.beta_range, sampling="log")
        if self.capacity_max is not None:
            capacity = hp.Choice("capacity_max", self.capacity_max)
            if self.values is None:
                # With capacity_max the AnnealedVAE objective trains, which
                # reads no beta: the trial's beta is not passed on.
                objective, args = "annealed_vae", {}
            args["capacity_max"] = capacity
        if objective == "annealed_vae":
            args.update(
                num_steps=self.capacity_steps, gamma=self.capacity_gamma
            )
        base = self._base
        return dataclasses.replace(
            base,
            output_dir="",
            objective=objective,
            objective_args=args,
            latent_dim=int(latent_dim),
        )

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        return build_model(self.config_for(hp), self.data.observation_shape)

    def train_sibling(
        self, hp: keras_tuner.HyperParameters, seed: int, epochs: int = 1
    ) -> keras.Model:
        """Builds and trains a model of ``hp`` with another ``seed``.

        The same settings, steps and data stream as the trial's model, only
        the seed of the weights, data order and noise differs: the
        siblings UDR compares the trial's model with.
        """
        config = dataclasses.replace(self.config_for(hp), seed=int(seed))
        model = build_model(config, self.data.observation_shape)
        self._train(model, config, epochs, callbacks=[], verbose=0)
        return model

    def _train(self, model, config, epochs, callbacks, verbose):
        dataset = make_dataset(
            self.data,
            config.batch_size,
            seed=config.seed,
            steps=int(epochs) * config.steps_per_epoch,
        )
        return model.fit(
            dataset,
            epochs=int(epochs),
            steps_per_epoch=config.steps_per_epoch,
            callbacks=list(callbacks),
            verbose=verbose,
        )

    def fit(
        self,
        hp,
        model,
        *args,
        epochs: int = 1,
        callbacks=(),
        verbose: int | str = 0,
        **kwargs,
    ):
        """Trains ``model`` on the data; returns its History.

        ``epochs``, ``callbacks`` and ``verbose`` come from
        ``tuner.search(...)``; other arguments are ignored (the data is
        the HyperModel's).

        With ``score="udr"``, first trains the ``udr_seeds - 1`` siblings
        (a line each when ``verbose``), then ``model``, whose last
        epoch's logs get ``udr``; returns that epoch's logs as a dict
        (UDR exists at the last epoch only, and a History would make
        Keras Tuner align it with the first). ``last_udr`` then holds
        the full ``udr`` result, the trial's model first.
        """
        config = self.config_for(hp)
        own = []
        if self.metrics:
            own.append(
                DisentanglementCallback(
                    self.data,
                    metrics=self.metrics,
                    protocol=self.protocol,
                    every_n_epochs=self.every_n_epochs,
                    seed=config.seed,
                    settings=self.metric_settings,
                    verbose=0,
                )
            )
        if self.reconstruction_weight > 0:
            size = math.prod(self.data.observation_shape)
            own.append(
                ObjectiveMix(self.score, self.reconstruction_weight, size)
            )
        scorer = None
        if self.score == UDR_NAME:
            images = held_out_images(self.data, self.udr_images, config.seed)
            siblings = []
            for k in range(1, self.udr_seeds):
                started = time.time()
                sibling = self.train_sibling(hp, config.seed + k, epochs)
                siblings.append(codes_and_kl(sibling, images))
                del sibling
                if verbose:
                    print(
                        f"[tuner] udr: model {k + 1}/{self.udr_seeds} "
                        f"(seed {config.seed + k}) trained in "
                        f"{time.time() - started:.1f} s",
                        flush=True,
                    )
            # The global seeds as right after Keras Tuner built ``model``.
            keras.utils.set_random_seed(config.seed)
            scorer = _UDRAtLastEpoch(
                images, siblings, epochs, self.udr_method, config.seed
            )
            own.append(scorer)
        history = self._train(
            model,
            config,
            epochs,
            callbacks=[*own, *list(callbacks or [])],
            verbose=verbose,
        )
        if scorer is None:
            return history
        self.last_udr = scorer.result
        return {k: float(v[-1]) for k, v in history.history.items()}


# The tuner lives in its own module; imported here, where users find it.
from keras_bvae.runs.tuner import (  # noqa: E402
    distributed_role,
    make_tuner,
    tune,
)
