"""Tests of the Mutual Information Gap (Chen et al. 2018) on toy data."""

import numpy as np
import pytest
from support import (
    FactorVectorData,
    constant,
    dsprites_like,
    noise_fn,
    oracle,
)

from keras_bvae.disentanglement import mig

# Fewer classes than the 20 bins, so the binning can resolve every class.
RESOLVABLE = (3, 6, 10, 8, 8)


def test_oracle_scores_high():
    result = mig(FactorVectorData(RESOLVABLE), oracle, seed=0, num_train=5000)
    assert result["mig"] >= 0.9
    assert min(result["per_factor"].values()) >= 0.85


def test_oracle_on_dsprites_sizes_needs_enough_bins():
    # 40 orientations and 32 positions into 20 bins cap the score; with a
    # bin per class the true factors score high again.
    coarse = mig(dsprites_like(), oracle, seed=0, num_train=5000)
    fine = mig(dsprites_like(), oracle, seed=0, num_train=5000, num_bins=40)
    assert coarse["mig"] < 0.9
    assert fine["mig"] >= 0.9
    assert fine["num_bins"] == 40


def test_half_resolved_factor_scores_half():
    # Dimension 0 holds v0 // 2 of a 4-class factor: I = log 2, H = log 4.
    data = FactorVectorData((4, 5))

    def halved(x):
        return np.stack([x[:, 0] // 2, x[:, 1]], axis=1)

    result = mig(data, halved, seed=0, num_train=20000)
    assert result["per_factor"]["f0"] == pytest.approx(0.5, abs=0.01)
    assert result["per_factor"]["f1"] == pytest.approx(1.0, abs=0.01)


def test_duplicated_dimension_has_no_gap():
    data = FactorVectorData((5, 5))

    def duplicated(x):
        return np.stack([x[:, 0], x[:, 0], x[:, 1]], axis=1)

    result = mig(data, duplicated, seed=0, num_train=2000)
    assert result["per_factor"]["f0"] == pytest.approx(0.0, abs=1e-12)
    assert result["per_factor"]["f1"] > 0.95


def test_constant_and_noise_score_low():
    data = FactorVectorData(RESOLVABLE)
    assert mig(data, constant, seed=0, num_train=2000)["mig"] == 0.0
    assert mig(data, noise_fn(), seed=0, num_train=2000)["mig"] < 0.05


def test_single_class_factor_is_skipped():
    data = FactorVectorData((1, 4, 4))
    result = mig(data, oracle, seed=0, num_train=2000)
    assert result["skipped_factors"] == ["f0"]
    assert set(result["per_factor"]) == {"f1", "f2"}


def test_same_seed_same_result():
    data = FactorVectorData(RESOLVABLE)
    a = mig(data, noise_fn(seed=3), seed=1, num_train=1000)
    b = mig(data, noise_fn(seed=3), seed=1, num_train=1000)
    assert a == b


def test_bad_inputs_raise():
    data = FactorVectorData(RESOLVABLE)
    with pytest.raises(ValueError, match="at least 2 code dimensions; got 1"):
        mig(data, lambda x: x[:, :1], num_train=100)
    with pytest.raises(ValueError, match="num_bins must be >= 1; got 0"):
        mig(data, oracle, num_train=100, num_bins=0)
    with pytest.raises(ValueError, match="num_train must be >= 1; got 0"):
        mig(data, oracle, num_train=0)
