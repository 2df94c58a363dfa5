"""DIP-VAE-I and -II (Kumar et al. 2018): the penalties against numpy."""

import numpy as np
import pytest
import tensorflow as tf

from keras_bvae.objectives import DIPVAEI, DIPVAEII


def numpy_penalties(sigma):
    off = sum(
        sigma[i, j] ** 2
        for i in range(len(sigma))
        for j in range(len(sigma))
        if i != j
    )
    return off, sum((sigma[i, i] - 1.0) ** 2 for i in range(len(sigma)))


def test_dip_i_by_hand(objective_inputs):
    inputs = objective_inputs(batch=2, latents=2)._replace(
        mean=tf.constant([[1.0, 0.0], [-1.0, 2.0]])
    )
    # Cov of the means: var_0 = 1, var_1 = 1, cov = -1: off = 2, diag = 0.
    terms = DIPVAEI(lambda_od=2.0).loss_terms(inputs)
    assert float(terms["dip_off_diagonal"]) == pytest.approx(2.0)
    assert float(terms["dip_diagonal"]) == pytest.approx(0.0)
    base = float(inputs.distortion + inputs.rate)
    assert float(terms["loss"]) == pytest.approx(base + 2.0 * 2.0, rel=1e-6)


@pytest.mark.parametrize("variant", ["i", "ii"])
def test_penalties_match_numpy(objective_inputs, variant):
    inputs = objective_inputs(batch=8, latents=4)
    mean, logvar = inputs.mean.numpy(), inputs.logvar.numpy()
    sigma = np.cov(mean.T, bias=True)
    if variant == "ii":
        sigma = sigma + np.diag(np.exp(logvar).mean(axis=0))
    objective = (DIPVAEI if variant == "i" else DIPVAEII)(lambda_od=5.0)
    terms = objective.loss_terms(inputs)
    off, diagonal = numpy_penalties(sigma)
    np.testing.assert_allclose(float(terms["dip_off_diagonal"]), off, 1e-5)
    np.testing.assert_allclose(float(terms["dip_diagonal"]), diagonal, 1e-5)
    lambda_d = 50.0 if variant == "i" else 5.0
    expected = (
        float(inputs.distortion + inputs.rate) + 5.0 * off + lambda_d * diagonal
    )
    np.testing.assert_allclose(float(terms["loss"]), expected, rtol=1e-5)


def test_lambda_d_defaults_follow_the_study():
    assert DIPVAEI(lambda_od=2.0).lambda_d == 20.0
    assert DIPVAEII(lambda_od=2.0).lambda_d == 2.0
    assert DIPVAEII(lambda_od=2.0, lambda_d=7.0).lambda_d == 7.0
    assert DIPVAEI(lambda_od=2.0).get_config()["lambda_d"] is None


@pytest.mark.parametrize("cls", [DIPVAEI, DIPVAEII])
@pytest.mark.parametrize("logvar", [-15.0, 15.0])
def test_gradient_is_finite_at_extreme_log_variances(
    objective_inputs, cls, logvar
):
    inputs = objective_inputs(batch=8, latents=3)
    mean = tf.Variable(inputs.mean)
    log_variance = tf.Variable(tf.fill((8, 3), logvar))
    with tf.GradientTape() as tape:
        loss = cls().loss_terms(
            inputs._replace(mean=mean, logvar=log_variance)
        )["loss"]
    # DIP-VAE-I does not read the variances: their gradient is zero.
    grads = tape.gradient(
        loss, [mean, log_variance], unconnected_gradients="zero"
    )
    assert np.isfinite(float(loss))
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lambda_od"):
        DIPVAEI(lambda_od=-1.0)
    with pytest.raises(ValueError, match="lambda_d"):
        DIPVAEII(lambda_d=float("inf"))
