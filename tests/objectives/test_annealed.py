"""AnnealedVAE and its capacity schedule (Burgess et al. 2018)."""

import numpy as np
import pytest

from keras_bvae.objectives import AnnealedVAE, CapacitySchedule


def test_capacity_rises_linearly_then_stays():
    schedule = CapacitySchedule(capacity_max=20.0, num_steps=100, gamma=5.0)
    assert schedule.capacity(0) == 0.0
    assert schedule.capacity(25) == pytest.approx(5.0)
    assert schedule.capacity(100) == pytest.approx(20.0)
    assert schedule.capacity(10_000) == pytest.approx(20.0)


def test_capacity_rejects_bad_settings():
    with pytest.raises(ValueError, match="num_steps"):
        CapacitySchedule(num_steps=0)
    with pytest.raises(ValueError, match="gamma"):
        CapacitySchedule(gamma=-1.0)
    with pytest.raises(ValueError, match="capacity_max"):
        AnnealedVAE(capacity_max=float("nan"))


def test_loss_is_distortion_plus_gamma_times_capacity_gap(
    objective_inputs,
):
    objective = AnnealedVAE(capacity_max=10.0, num_steps=4, gamma=100.0)
    inputs = objective_inputs(step=2)  # C = 10 * 2 / 4 = 5
    terms = objective.loss_terms(inputs)
    rate = float(inputs.rate)
    expected = float(inputs.distortion) + 100.0 * abs(rate - 5.0)
    np.testing.assert_allclose(float(terms["loss"]), expected, rtol=1e-6)
    assert float(terms["capacity"]) == pytest.approx(5.0)


def test_model_logs_the_capacity_target(small_model, images):
    model = small_model(capacity={"capacity_max": 10.0, "num_steps": 4})
    assert type(model.objective) is AnnealedVAE
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(2)
    terms = model.loss_terms(images)
    expected = terms["reconstruction_loss"] + 1000.0 * abs(terms["kl"] - 5.0)
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-5)
    history = model.fit(images, batch_size=16, epochs=1, verbose=0)
    assert "capacity" in history.history
