"""The beta-weighted objective (Higgins et al. 2017)."""

import numpy as np
import pytest

from keras_bvae.objectives import (
    BetaVAEObjective,
    beta_from_normalized,
    normalized_beta,
)


def test_normalized_beta_round_trips():
    beta = beta_from_normalized(0.005, latent_dim=10, input_size=4096)
    assert beta == pytest.approx(2.048)
    assert normalized_beta(beta, 10, 4096) == pytest.approx(0.005)


def test_defaults_to_the_plain_vae():
    assert BetaVAEObjective().beta == 1.0


def test_normalized_beta_is_resolved_by_the_model_size():
    objective = BetaVAEObjective(normalized_beta=0.01)
    objective.configure(latent_dim=10, input_size=4096)
    assert objective.beta == pytest.approx(0.01 * 4096 / 10)


@pytest.mark.parametrize("bad", [-0.1, float("inf"), "four"])
def test_bad_beta_is_rejected(bad):
    with pytest.raises(ValueError, match="beta must be"):
        BetaVAEObjective(beta=bad)


def test_beta_and_normalized_beta_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        BetaVAEObjective(beta=1.0, normalized_beta=0.1)


def test_loss_is_distortion_plus_beta_rate(objective_inputs):
    inputs = objective_inputs()
    terms = BetaVAEObjective(beta=4.0).loss_terms(inputs)
    expected = float(inputs.distortion) + 4.0 * float(inputs.rate)
    np.testing.assert_allclose(float(terms["loss"]), expected, rtol=1e-6)
