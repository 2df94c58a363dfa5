"""beta-TCVAE (Chen et al. 2018): the minibatch weighted sampling estimate
of the total correlation against an independent numpy computation."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from keras_bvae.objectives import BetaTCVAE
from keras_bvae.objectives.beta_tcvae import total_correlation


def numpy_tc(z, mean, logvar, dataset_size=None):
    """Chen et al.'s estimator written out with loops over the batch."""
    batch, latents = z.shape
    var = np.exp(logvar)
    values = []
    for i in range(batch):
        # log q(z_i|x_j) per latent, for every j.
        log_q = -0.5 * (
            np.log(2 * np.pi * var) + (z[i] - mean) ** 2 / var
        )  # (B, M)
        joint = logsumexp(log_q.sum(axis=1))
        marginals = sum(logsumexp(log_q[:, k]) for k in range(latents))
        if dataset_size is not None:
            constant = np.log(dataset_size * batch)
            joint -= constant
            marginals -= latents * constant
        values.append(joint - marginals)
    return float(np.mean(values))


def test_two_points_by_hand():
    # z_i = mean_i, unit variances, means 0 and 2 in both latents.
    # log q(z_i|x_j) per latent: c = -0.5 log 2pi when i = j, c - 2 else.
    # joint: logsumexp(2c, 2c - 4) = 2c + log(1 + e^-4);
    # marginals: 2 (c + log(1 + e^-2)); TC = log(1+e^-4) - 2 log(1+e^-2).
    mean = tf.constant([[0.0, 0.0], [2.0, 2.0]])
    logvar = tf.zeros((2, 2))
    expected = np.log1p(np.exp(-4)) - 2 * np.log1p(np.exp(-2))
    got = total_correlation(mean, mean, logvar)
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)


@pytest.mark.parametrize("dataset_size", [None, 737_280])
def test_estimate_matches_numpy(objective_inputs, dataset_size):
    inputs = objective_inputs(batch=6, latents=4)
    got = total_correlation(inputs.z, inputs.mean, inputs.logvar, dataset_size)
    expected = numpy_tc(
        inputs.z.numpy(),
        inputs.mean.numpy(),
        inputs.logvar.numpy(),
        dataset_size,
    )
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)


def test_constants_shift_the_estimate_by_m_minus_1_log_nb(objective_inputs):
    inputs = objective_inputs(batch=6, latents=4)
    plain = total_correlation(inputs.z, inputs.mean, inputs.logvar)
    kept = total_correlation(inputs.z, inputs.mean, inputs.logvar, 1000)
    np.testing.assert_allclose(
        float(kept - plain), 3 * np.log(1000 * 6), rtol=1e-5
    )


def test_loss_weights_only_the_tc(objective_inputs):
    inputs = objective_inputs(batch=6, latents=4)
    terms = BetaTCVAE(beta=6.0).loss_terms(inputs)
    tc = numpy_tc(inputs.z.numpy(), inputs.mean.numpy(), inputs.logvar.numpy())
    expected = float(inputs.distortion + inputs.rate) + 5.0 * tc
    np.testing.assert_allclose(float(terms["loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(terms["total_correlation"]), tc, 1e-5)
    vae = BetaTCVAE(beta=1.0).loss_terms(inputs)["loss"]
    np.testing.assert_allclose(
        float(vae), float(inputs.distortion + inputs.rate), rtol=1e-6
    )


@pytest.mark.parametrize("logvar", [-15.0, 15.0])
def test_gradient_is_finite_at_extreme_log_variances(logvar):
    rng = np.random.default_rng(1)
    mean = tf.Variable(rng.normal(size=(8, 3)).astype(np.float32) * 5)
    log_variance = tf.Variable(np.full((8, 3), logvar, np.float32))
    with tf.GradientTape() as tape:
        z = mean + tf.exp(0.5 * log_variance) * rng.normal(size=(8, 3))
        tc = total_correlation(tf.cast(z, tf.float32), mean, log_variance)
    grads = tape.gradient(tc, [mean, log_variance])
    assert np.isfinite(float(tc))
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="beta"):
        BetaTCVAE(beta=-1.0)
    with pytest.raises(ValueError, match="dataset_size"):
        BetaTCVAE(dataset_size=0)
