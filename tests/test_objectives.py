"""beta resolution, normalised beta and the capacity schedule."""

import pytest

from keras_bvae.objectives import (
    CapacitySchedule,
    normalized_beta,
    resolve_beta,
)


def test_normalized_beta_round_trips_through_resolve_beta():
    beta = resolve_beta(None, 0.005, latent_dim=10, input_size=4096)
    assert beta == pytest.approx(2.048)
    assert normalized_beta(beta, 10, 4096) == pytest.approx(0.005)


def test_defaults_to_the_plain_vae():
    assert resolve_beta(None, None, 10, 4096) == 1.0


@pytest.mark.parametrize("bad", [-0.1, float("inf"), "four"])
def test_bad_beta_is_rejected(bad):
    with pytest.raises(ValueError, match="beta must be"):
        resolve_beta(bad, None, 10, 4096)


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
