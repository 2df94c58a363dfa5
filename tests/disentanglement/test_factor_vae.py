"""Tests of the Kim & Mnih (2018) FactorVAE metric on toy factor data."""

import numpy as np
import pytest
from support import (
    FactorVectorData,
    constant,
    dsprites_like,
    flat_oracle,
    noise_fn,
    oracle,
    partial_factor_images,
)

from keras_bvae.disentanglement import factor_vae_score

SMALL = {
    "batch_size": 16,
    "num_train": 300,
    "num_eval": 300,
    "num_variance_estimate": 500,
}


def test_oracle_scores_high():
    result = factor_vae_score(dsprites_like(), oracle, seed=0, **SMALL)
    assert result["train_accuracy"] >= 0.95
    assert result["eval_accuracy"] >= 0.95
    assert result["num_active_dims"] == 5


def test_oracle_scores_one_on_a_partial_data_set():
    # Each group's stand-in images keep its fixed factor, so the oracle's
    # dimension for it has zero variance in every vote.
    data = partial_factor_images(fraction=0.1)
    result = factor_vae_score(data, flat_oracle, seed=0, **SMALL)
    assert result["train_accuracy"] == 1.0
    assert result["eval_accuracy"] == 1.0


def test_collapsed_dimensions_are_pruned():
    def padded(x):
        # Oracle plus a constant and a nearly constant dimension.
        tiny = 1e-3 * np.sin(np.arange(len(x)))[:, None]
        return np.concatenate([x, np.zeros((len(x), 1)), tiny], axis=1)

    result = factor_vae_score(dsprites_like(), padded, seed=0, **SMALL)
    assert result["num_active_dims"] == 5
    assert result["eval_accuracy"] >= 0.95


def test_constant_code_scores_zero():
    result = factor_vae_score(dsprites_like(), constant, seed=0, **SMALL)
    assert result["num_active_dims"] == 0
    assert result["train_accuracy"] == 0.0
    assert result["eval_accuracy"] == 0.0


def test_noise_code_scores_low():
    result = factor_vae_score(dsprites_like(), noise_fn(), seed=0, **SMALL)
    assert result["eval_accuracy"] < 0.35


def test_one_dimension_holding_two_factors_caps_accuracy():
    # Factors 0 and 1 share one dimension: its votes split between them and
    # majority vote gets one of the two right, so about 2 of 3 votes.
    data = FactorVectorData((4, 4, 4))

    def merged(x):
        return np.stack([x[:, 0] * 4 + x[:, 1], x[:, 2]], axis=1)

    result = factor_vae_score(data, merged, seed=0, **SMALL)
    assert 0.55 < result["eval_accuracy"] < 0.8


def test_same_seed_same_result():
    a = factor_vae_score(dsprites_like(), noise_fn(seed=2), seed=4, **SMALL)
    b = factor_vae_score(dsprites_like(), noise_fn(seed=2), seed=4, **SMALL)
    assert a == b


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 1}, "batch_size must be >= 2; got 1"),
        ({"num_train": 0}, "num_train must be >= 1; got 0"),
        ({"num_variance_estimate": 1}, "num_variance_estimate must be >= 2"),
        ({"prune_threshold": -0.1}, "prune_threshold must be .* got -0.1"),
        ({"factors": [9]}, "factor index 9"),
    ],
)
def test_bad_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        factor_vae_score(dsprites_like(), oracle, **{**SMALL, **kwargs})
