"""The interface every objective of the beta-VAE family implements.

``BetaVAE`` computes what all of them share, per batch of B images,

    distortion = -1/B sum_b E_q[log p(x_b|z)]   (summed over pixels)
    rate       =  1/B sum_b KL(q(z|x_b) || p(z)) (summed over latents)

and hands it, with the posterior parameters and the sample z, to its
objective as one ``ObjectiveInputs``. The objective returns a dict of named
scalar loss terms holding at least ``loss`` (what the VAE's optimiser
minimises). Terms it names in ``term_names`` are logged by the model like
the reconstruction loss and the KL.

An objective is a Keras layer: trainable parts it owns (a discriminator)
are saved with the model and in its backups. Its own trainable variables are
not updated by the model's optimiser; it updates them in ``update``, which
the model calls after each training step.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import tensorflow as tf

__all__ = ["Objective", "ObjectiveInputs"]


class ObjectiveInputs(NamedTuple):
    """What the model knows about a batch when the objective is asked.

    Attributes:
        images: (B, H, W, C) the batch.
        mean: (B, M) posterior means.
        logvar: (B, M) posterior log-variances.
        z: (B, M) the reparameterised sample.
        distortion: scalar, the batch mean negative log-likelihood.
        rate: scalar, the batch mean KL(q(z|x) || p(z)).
        kl_per_dim: (M,) the batch mean KL of each latent.
        step: scalar int64, optimiser steps taken before this one (0 when
            the model has no optimiser).
        training: bool, True in ``train_step``.
    """

    images: tf.Tensor
    mean: tf.Tensor
    logvar: tf.Tensor
    z: tf.Tensor
    distortion: tf.Tensor
    rate: tf.Tensor
    kl_per_dim: tf.Tensor
    step: tf.Tensor
    training: bool


class Objective(keras.layers.Layer):
    """Base class of the objectives: loss terms from ``ObjectiveInputs``.

    Subclasses implement ``terms`` and ``get_config``, may set
    ``term_names`` (extra scalar terms to log), ``hyperparameter`` and
    ``study_grid`` (the argument a sweep varies and its values in
    Locatello et al.'s study), ``run_defaults`` and override ``configure``
    (called once by the model with its latent size and pixel count) and
    ``update`` (a second update after the VAE's step, for parts trained
    with their own optimiser). Register a subclass with
    ``keras_bvae.objectives.register_objective`` to select it by name.

    Example:
    ```python
    @register_objective("l1_vae")
    class L1VAE(Objective):
        term_names = ("l1",)

        def __init__(self, weight=1.0, **kwargs):
            super().__init__(**kwargs)
            self.weight = weight

        def terms(self, inputs):
            l1 = tf.reduce_mean(tf.reduce_sum(tf.abs(inputs.z), -1))
            loss = inputs.distortion + inputs.rate + self.weight * l1
            return {"loss": loss, "l1": l1}

        def get_config(self):
            return {**super().get_config(), "weight": self.weight}

    model = BetaVAE(objective="l1_vae")
    ```
    """

    term_names: tuple[str, ...] = ()
    # The constructor argument a study varies, and the values Locatello et
    # al. (ICML 2019) searched; used by sweeps and the comparison.
    hyperparameter: str | None = None
    study_grid: tuple[float, ...] = ()
    # Constructor arguments of the workflow's runs (train, sweep, compare)
    # when they are given none (``TrainConfig.objective_args`` empty).
    run_defaults: dict = {}

    def configure(self, latent_dim: int, input_size: int) -> None:
        """Receives the model's latent size M and pixel count N."""

    def terms(self, inputs: ObjectiveInputs) -> dict[str, tf.Tensor]:
        """Named scalar loss terms; must hold ``loss``."""
        raise NotImplementedError

    def update(self, inputs: ObjectiveInputs) -> dict[str, tf.Tensor]:
        """Trains the objective's own parts after the VAE's step.

        Returns terms to log (named in ``term_names``). The default does
        nothing.
        """
        return {}

    def loss_terms(self, inputs: ObjectiveInputs) -> dict[str, tf.Tensor]:
        """``terms`` after checking it returned a ``loss``; what the model
        calls (the objective is a Layer for its weights, not called as
        one)."""
        terms = self.terms(inputs)
        if "loss" not in terms:
            raise ValueError(
                f"{type(self).__name__}.terms must return a 'loss' term; "
                f"got {sorted(terms)}"
            )
        return terms
