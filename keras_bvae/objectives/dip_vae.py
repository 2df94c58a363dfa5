"""DIP-VAE-I and DIP-VAE-II: moment matching of the aggregate posterior
(Kumar et al. 2018).

Both push a covariance Sigma of the codes towards the identity:

    loss = distortion + rate
           + lambda_od * sum_{i != j} Sigma_ij^2
           + lambda_d  * sum_i (Sigma_ii - 1)^2

- DIP-VAE-I: Sigma = Cov[mu(x)], the covariance of the posterior means.
- DIP-VAE-II: Sigma = Cov[mu(x)] + E[diag(sigma^2(x))], the covariance of
  the aggregate posterior q(z) = E_x q(z|x).

Expectations are over the minibatch (the global batch under
``tf.distribute``), covariances normalised by the batch size, as in
disentanglement_lib. Locatello et al. (ICML 2019) search lambda_od in
{1, 2, 5, 10, 20, 50} with lambda_d = 10 lambda_od (I) or lambda_od (II).
"""

from __future__ import annotations

import tensorflow as tf

from keras_bvae.objectives import register_objective
from keras_bvae.objectives.base import Objective, ObjectiveInputs
from keras_bvae.objectives.batch import covariance, global_batch
from keras_bvae.validation import check_number

__all__ = ["DIPVAEI", "DIPVAEII", "dip_penalties"]


def dip_penalties(sigma: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sum_{i!=j} Sigma_ij^2, sum_i (Sigma_ii - 1)^2) of a (M, M) matrix."""
    diagonal = tf.linalg.diag_part(sigma)
    off_diagonal = sigma - tf.linalg.diag(diagonal)
    return (
        tf.reduce_sum(tf.square(off_diagonal)),
        tf.reduce_sum(tf.square(diagonal - 1.0)),
    )


class _DIPVAE(Objective):
    """The penalty both variants share; subclasses choose Sigma."""

    term_names = ("dip_off_diagonal", "dip_diagonal")
    hyperparameter = "lambda_od"
    study_grid = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
    # lambda_d = diagonal_factor * lambda_od when lambda_d is not given.
    diagonal_factor = 1.0

    def __init__(
        self,
        lambda_od: float = 10.0,
        lambda_d: float | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.lambda_od = check_number("lambda_od", lambda_od, minimum=0.0)
        if lambda_d is not None:
            lambda_d = check_number("lambda_d", lambda_d, minimum=0.0)
        self.lambda_d_arg = lambda_d
        self.lambda_d = (
            self.diagonal_factor * self.lambda_od
            if lambda_d is None
            else lambda_d
        )

    def covariance(self, inputs: ObjectiveInputs) -> tf.Tensor:
        raise NotImplementedError

    def terms(self, inputs: ObjectiveInputs) -> dict:
        off, diagonal = dip_penalties(self.covariance(inputs))
        loss = (
            inputs.distortion
            + inputs.rate
            + self.lambda_od * off
            + self.lambda_d * diagonal
        )
        return {"loss": loss, "dip_off_diagonal": off, "dip_diagonal": diagonal}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lambda_od": self.lambda_od,
            "lambda_d": self.lambda_d_arg,
        }


@register_objective("dip_vae_i")
class DIPVAEI(_DIPVAE):
    """DIP-VAE-I: the covariance of the posterior means towards I.

    Reference: A. Kumar, P. Sattigeri, A. Balakrishnan, "Variational
    Inference of Disentangled Latent Concepts from Unlabeled
    Observations", ICLR 2018.

    Logs ``dip_off_diagonal`` and ``dip_diagonal``, the two penalties
    before their weights.

    Args:
        lambda_od: float. Weight of the off-diagonal penalty. Defaults to
            10 (Locatello et al.'s grid: {1, 2, 5, 10, 20, 50}).
        lambda_d: float or None. Weight of the diagonal penalty; None
            (default) is 10 * lambda_od, as in Locatello et al.

    Example:
    ```python
    model = keras_bvae.BetaVAE(objective=DIPVAEI(lambda_od=10.0))
    ```
    """

    diagonal_factor = 10.0

    def covariance(self, inputs: ObjectiveInputs) -> tf.Tensor:
        return covariance(global_batch(inputs.mean))


@register_objective("dip_vae_ii")
class DIPVAEII(_DIPVAE):
    """DIP-VAE-II: the covariance of the aggregate posterior towards I.

    Sigma = Cov[mu(x)] + E[diag(exp(logvar(x)))] over the batch.

    Reference: A. Kumar, P. Sattigeri, A. Balakrishnan, "Variational
    Inference of Disentangled Latent Concepts from Unlabeled
    Observations", ICLR 2018.

    Logs ``dip_off_diagonal`` and ``dip_diagonal``, the two penalties
    before their weights.

    Args:
        lambda_od: float. Weight of the off-diagonal penalty. Defaults to
            10 (Locatello et al.'s grid: {1, 2, 5, 10, 20, 50}).
        lambda_d: float or None. Weight of the diagonal penalty; None
            (default) is lambda_od, as in Locatello et al.

    Example:
    ```python
    model = keras_bvae.BetaVAE(objective=DIPVAEII(lambda_od=10.0))
    ```
    """

    diagonal_factor = 1.0

    def covariance(self, inputs: ObjectiveInputs) -> tf.Tensor:
        mean_variance = tf.reduce_mean(
            tf.exp(global_batch(inputs.logvar)), axis=0
        )
        return covariance(global_batch(inputs.mean)) + tf.linalg.diag(
            mean_variance
        )
