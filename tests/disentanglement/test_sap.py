"""Tests of the SAP score (Kumar et al. 2018) on toy factor data."""

import numpy as np
import pytest
from support import (
    FactorVectorData,
    constant,
    dsprites_like,
    noise_fn,
    oracle,
)

from keras_bvae.disentanglement import sap

SMALL = {"num_train": 1000, "num_test": 500}


def test_oracle_scores_well_above_noise():
    data = dsprites_like()
    good = sap(data, oracle, seed=0, **SMALL)
    bad = sap(data, noise_fn(), seed=0, **SMALL)
    assert bad["sap"] < 0.05
    assert good["sap"] > bad["sap"] + 0.1
    # Few-class factors are read off one dimension almost perfectly.
    assert good["per_factor"]["shape"] > 0.6


def test_binary_factors_gap_is_one_minus_chance():
    # The right dimension predicts a binary factor perfectly, the others at
    # chance (1/2), so each gap is about 1 - 1/2.
    result = sap(FactorVectorData((2, 2, 2)), oracle, seed=0, **SMALL)
    for gap in result["per_factor"].values():
        assert gap == pytest.approx(0.5, abs=0.06)


def test_constant_code_scores_zero():
    result = sap(dsprites_like(), constant, seed=0, **SMALL)
    assert result["sap"] == 0.0
    assert np.all(np.array(result["score_matrix"]) == 0.0)


def test_duplicated_dimension_has_no_gap():
    def duplicated(x):
        return np.stack([x[:, 0], x[:, 0], x[:, 1]], axis=1)

    result = sap(FactorVectorData((2, 2)), duplicated, seed=0, **SMALL)
    assert result["per_factor"]["f0"] == pytest.approx(0.0)
    assert result["per_factor"]["f1"] == pytest.approx(0.5, abs=0.06)


def test_same_seed_same_result():
    a = sap(dsprites_like(), noise_fn(seed=1), seed=3, **SMALL)
    b = sap(dsprites_like(), noise_fn(seed=1), seed=3, **SMALL)
    assert a == b


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="D >= 2"):
        sap(dsprites_like(), lambda x: x[:, :1], **SMALL)
    with pytest.raises(ValueError, match="num_train must be >= 1; got -5"):
        sap(dsprites_like(), oracle, num_train=-5, num_test=10)
