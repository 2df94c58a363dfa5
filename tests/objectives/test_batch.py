"""Minibatch statistics shared by the regularisers."""

import numpy as np
import tensorflow as tf

from keras_bvae.objectives.batch import (
    covariance,
    gaussian_log_density,
    global_batch,
    permute_dims,
)


def test_covariance_is_the_biased_sample_covariance():
    x = np.array([[1.0, 2.0], [3.0, 0.0], [2.0, 4.0]], np.float32)
    # By hand: means (2, 2); centred rows (-1, 0), (1, -2), (0, 2);
    # sums of products / 3: var_0 = 2/3, var_1 = 8/3, cov = -2/3.
    expected = np.array([[2.0, -2.0], [-2.0, 8.0]]) / 3.0
    np.testing.assert_allclose(covariance(tf.constant(x)), expected, 1e-6)
    np.testing.assert_allclose(expected, np.cov(x.T, bias=True), 1e-6)


def test_gaussian_log_density_matches_the_formula():
    x, mean, logvar = 0.5, 1.0, np.log(4.0)
    expected = -0.5 * np.log(2 * np.pi * 4.0) - 0.25**2 / 2.0
    got = gaussian_log_density(
        tf.constant(x), tf.constant(mean), tf.constant(logvar, tf.float32)
    )
    np.testing.assert_allclose(float(got), expected, rtol=1e-6)


def test_permute_dims_shuffles_each_column_on_its_own():
    z = np.arange(64, dtype=np.float32).reshape(16, 4)
    seed = tf.constant([3, 4])
    shuffled = permute_dims(tf.constant(z), seed).numpy()
    for k in range(4):  # every column keeps its values
        np.testing.assert_array_equal(np.sort(shuffled[:, k]), z[:, k])
    orders = [tuple(np.argsort(shuffled[:, k])) for k in range(4)]
    assert len(set(orders)) == 4  # independent permutations
    again = permute_dims(tf.constant(z), seed).numpy()
    np.testing.assert_array_equal(shuffled, again)


def test_global_batch_is_the_batch_on_one_device():
    x = tf.constant([[1.0], [2.0]])
    assert global_batch(x) is x
