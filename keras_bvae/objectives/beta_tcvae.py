"""beta-TCVAE: a weight on the total correlation of q(z) (Chen et al. 2018).

The KL term of the ELBO, averaged over the data, splits into the mutual
information between x and z, the total correlation TC = KL(q(z) ||
prod_j q(z_j)) and the dimension-wise KL to the prior. beta-TCVAE weights
only the TC by beta:

    loss = distortion + rate + (beta - 1) * TC

(Chen et al.'s alpha = gamma = 1; disentanglement_lib writes it the same
way), so beta = 1 is the plain VAE.

TC is estimated on the minibatch (the global batch under ``tf.distribute``)
with Chen et al.'s minibatch weighted sampling: for z_i drawn from q(z|x_i),

    log q(z_i)         ~ logsumexp_j log q(z_i | x_j)       - log(N B)
    log prod_k q(z_ik) ~ sum_k [logsumexp_j log q(z_ik | x_j) - log(N B)]

with B the batch size and N the data set size; TC is the batch mean of
their difference. The constants add (M - 1) log(N B) to TC and do not
change the gradient: with ``dataset_size=None`` (the default, as in
disentanglement_lib) they are left out and the logged
``total_correlation`` is TC minus that constant, so it can be negative;
give ``dataset_size`` to log the estimate itself.

Locatello et al. (ICML 2019) search beta in {1, 2, 4, 6, 8, 10}.
"""

from __future__ import annotations

import math

import tensorflow as tf

from keras_bvae.objectives import register_objective
from keras_bvae.objectives.base import Objective, ObjectiveInputs
from keras_bvae.objectives.batch import gaussian_log_density, global_batch
from keras_bvae.validation import check_int, check_number

__all__ = ["BetaTCVAE", "total_correlation"]


def total_correlation(
    z: tf.Tensor,
    mean: tf.Tensor,
    logvar: tf.Tensor,
    dataset_size: int | None = None,
) -> tf.Tensor:
    """Minibatch weighted sampling estimate of TC(q(z)) (Chen et al. 2018).

    Args:
        z: (B, M) samples, z_i from q(z | x_i).
        mean, logvar: (B, M) the posterior parameters of the same batch.
        dataset_size: int or None. N; None leaves the constant
            (M - 1) log(N B) out of the estimate.

    Returns:
        Scalar, the batch mean of log q(z_i) - sum_k log q(z_ik).
    """
    # (B, B, M): log q(z_ik | x_j) for sample i, posterior j, latent k.
    log_q = gaussian_log_density(z[:, None, :], mean[None], logvar[None])
    log_q_joint = tf.reduce_logsumexp(tf.reduce_sum(log_q, axis=2), axis=1)
    log_q_marginals = tf.reduce_sum(tf.reduce_logsumexp(log_q, axis=1), 1)
    tc = tf.reduce_mean(log_q_joint - log_q_marginals)
    if dataset_size is not None:
        batch = tf.cast(tf.shape(z)[0], z.dtype)
        latents = tf.cast(tf.shape(z)[1], z.dtype)
        log_nb = math.log(dataset_size) + tf.math.log(batch)
        tc += (latents - 1.0) * log_nb
    return tc


@register_objective("beta_tcvae")
class BetaTCVAE(Objective):
    """loss = distortion + rate + (beta - 1) TC (Chen et al. 2018).

    Reference: R. T. Q. Chen, X. Li, R. Grosse, D. Duvenaud, "Isolating
    Sources of Disentanglement in Variational Autoencoders", NeurIPS 2018.

    Logs ``total_correlation``, the minibatch weighted sampling estimate
    (see the module docstring for the constants).

    Args:
        beta: float. Weight of the total correlation; 1 is the plain VAE.
            Defaults to 4 (as the command line's ``--beta``), in Locatello
            et al.'s grid {1, 2, 4, 6, 8, 10}.
        dataset_size: int or None. N in the estimator's constant; None
            (default) leaves it out, which does not change training.

    Example:
    ```python
    model = keras_bvae.BetaVAE(objective=BetaTCVAE(beta=6.0))
    ```
    """

    term_names = ("total_correlation",)
    hyperparameter = "beta"
    study_grid = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)

    def __init__(
        self, beta: float = 4.0, dataset_size: int | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.beta = check_number("beta", beta, minimum=0.0)
        if dataset_size is not None:
            dataset_size = check_int("dataset_size", dataset_size, minimum=1)
        self.dataset_size = dataset_size

    def terms(self, inputs: ObjectiveInputs) -> dict:
        tc = total_correlation(
            global_batch(inputs.z),
            global_batch(inputs.mean),
            global_batch(inputs.logvar),
            self.dataset_size,
        )
        loss = inputs.distortion + inputs.rate + (self.beta - 1.0) * tc
        return {"loss": loss, "total_correlation": tc}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta": self.beta,
            "dataset_size": self.dataset_size,
        }
