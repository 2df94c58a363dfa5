"""Minibatch statistics the regularisers of the family share.

beta-TCVAE, FactorVAE and DIP-VAE regularise a property of the aggregate
posterior, which they estimate on the minibatch. Under ``tf.distribute``
each replica holds only its share of the batch, so these estimators work
on ``global_batch(x)``: the whole batch, gathered from every replica, with
a gradient that flows back to each replica's share. The estimate is then
the same as on one device with the whole batch.
"""

from __future__ import annotations

import math

import tensorflow as tf

__all__ = [
    "covariance",
    "gaussian_log_density",
    "global_batch",
    "permute_dims",
]

_LOG_2PI = math.log(2.0 * math.pi)


def global_batch(x: tf.Tensor) -> tf.Tensor:
    """``x`` concatenated over the replicas along axis 0.

    Returns ``x`` itself outside ``tf.distribute`` or with one replica.
    ``ReplicaContext.all_gather`` carries the gradient back to each
    replica's rows.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x
    return context.all_gather(x, axis=0)


def gaussian_log_density(
    x: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor
) -> tf.Tensor:
    """Elementwise log N(x; mean, exp(logvar)), broadcasting the inputs."""
    return -0.5 * (_LOG_2PI + logvar + tf.square(x - mean) * tf.exp(-logvar))


def covariance(x: tf.Tensor) -> tf.Tensor:
    """(D, D) covariance of the rows of ``x`` (B, D), normalised by B.

    E[x x^T] - E[x] E[x]^T over the batch, the maximum-likelihood estimate
    DIP-VAE uses (Kumar et al. 2018).
    """
    centred = x - tf.reduce_mean(x, axis=0, keepdims=True)
    batch = tf.cast(tf.shape(x)[0], x.dtype)
    return tf.matmul(centred, centred, transpose_a=True) / batch


def permute_dims(z: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """``z`` (B, M) with each column shuffled by its own permutation.

    Samples of the product of the marginals q(z_1)...q(z_M) from samples
    of q(z) (Kim & Mnih 2018, Algorithm 1). ``seed`` is a stateless seed
    (shape (2,)); the same seed gives the same permutations.
    """
    keys = tf.random.stateless_uniform(tf.shape(z), seed=seed)
    order = tf.argsort(keys, axis=0)
    columns = tf.gather(
        tf.transpose(z), tf.transpose(order), axis=1, batch_dims=1
    )
    return tf.transpose(columns)
