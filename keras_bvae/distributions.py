"""Posterior, prior and likelihood factories (TensorFlow Probability).

Networks output tensors; distributions are built from those tensors inside
model methods, never passed across Keras layer boundaries:

    q(z|x) = N(z; mu(x), diag(sigma(x)^2))   posterior, from encoder output
    p(z)   = N(z; 0, I)                      prior
    p(x|z) = prod_i Bernoulli(x_i; sigmoid(l_i(z)))       ("bernoulli")
           or prod_i N(x_i; sigmoid(l_i(z)), s^2)          ("gaussian")

The posterior log-variance is soft-clamped to ``[-LOGVAR_LIMIT,
LOGVAR_LIMIT]`` by ``LOGVAR_LIMIT * tanh(raw / LOGVAR_LIMIT)``, which keeps
the scale finite and positive (about 5.5e-4 to 1.8e3) while leaving the
gradient nonzero everywhere.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = [
    "LIKELIHOODS",
    "LOGVAR_LIMIT",
    "DEFAULT_GAUSSIAN_SCALE",
    "split_posterior_params",
    "posterior",
    "prior",
    "likelihood",
]

LOGVAR_LIMIT = 15.0
LIKELIHOODS = ("bernoulli", "gaussian")
# With s^2 = 1/2 the Gaussian log-likelihood is minus the summed squared
# error plus a constant: the "l2" reconstruction loss of disentanglement_lib.
DEFAULT_GAUSSIAN_SCALE = 1.0 / math.sqrt(2.0)


def split_posterior_params(params: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Splits encoder output (B, 2M) into mean and safe log-variance (B, M)."""
    mean, raw_logvar = tf.split(params, 2, axis=-1)
    logvar = LOGVAR_LIMIT * tf.tanh(raw_logvar / LOGVAR_LIMIT)
    return mean, logvar


def posterior(mean: tf.Tensor, logvar: tf.Tensor) -> tfd.Distribution:
    """Diagonal Gaussian q(z|x) with event shape (M,)."""
    return tfd.Independent(
        tfd.Normal(loc=mean, scale=tf.exp(0.5 * logvar)),
        reinterpreted_batch_ndims=1,
        name="posterior",
    )


def prior(latent_dim: int, dtype=tf.float32) -> tfd.Distribution:
    """Standard normal p(z) with event shape (latent_dim,)."""
    return tfd.Independent(
        tfd.Normal(
            loc=tf.zeros([latent_dim], dtype),
            scale=tf.ones([latent_dim], dtype),
        ),
        reinterpreted_batch_ndims=1,
        name="prior",
    )


def likelihood(
    kind: str,
    logits: tf.Tensor,
    gaussian_scale: float = DEFAULT_GAUSSIAN_SCALE,
) -> tfd.Distribution:
    """p(x|z) over whole images: event shape (H, W, C)."""
    if kind == "bernoulli":
        base = tfd.Bernoulli(logits=logits, dtype=logits.dtype)
    elif kind == "gaussian":
        base = tfd.Normal(loc=tf.sigmoid(logits), scale=gaussian_scale)
    else:
        raise ValueError(
            f"unknown likelihood {kind!r}; choose one of {list(LIKELIHOODS)}"
        )
    return tfd.Independent(base, reinterpreted_batch_ndims=3, name="likelihood")
