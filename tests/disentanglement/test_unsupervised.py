"""Tests of the label-free scores (Gaussian total and Wasserstein
correlation, mutual information of the code)."""

import numpy as np
import pytest
from support import FactorVectorData, constant, oracle

from keras_bvae.disentanglement import unsupervised_scores
from keras_bvae.disentanglement.unsupervised import (
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
)

DATA = FactorVectorData((8, 8, 8))


def test_independent_factor_codes_score_near_zero():
    result = unsupervised_scores(DATA, oracle, seed=0, num_train=5000)
    assert result["gaussian_total_correlation"] < 0.01
    assert result["gaussian_wasserstein_correlation_norm"] < 0.01
    assert result["mutual_info_score"] < 0.02


def test_rotated_codes_score_their_correlation():
    # z = (v0 + v1, v0 - v1 + v2 / 2): correlated, each mixes factors.
    def rotated(x):
        return np.stack([x[:, 0] + x[:, 1], x[:, 0] - 0.5 * x[:, 1]], axis=1)

    result = unsupervised_scores(DATA, rotated, seed=0, num_train=5000)
    # Equal factor variances: cov = s2 [[2, 0.5], [0.5, 1.25]], rho^2 = 0.1.
    assert result["gaussian_total_correlation"] == pytest.approx(
        -0.5 * np.log(1 - 0.1), rel=0.15
    )
    assert result["mutual_info_score"] > 0.03


def test_constant_dimensions_are_left_out():
    result = unsupervised_scores(DATA, constant, seed=0, num_train=500)
    assert result["num_constant_dims"] == 5
    assert result["gaussian_total_correlation"] == 0.0
    assert result["mutual_info_score"] == 0.0


def test_gaussian_formulas_match_closed_forms():
    rho = 0.6
    cov = np.array([[1.0, rho], [rho, 1.0]])
    assert gaussian_total_correlation(cov) == pytest.approx(
        -0.5 * np.log(1 - rho**2)
    )
    assert gaussian_total_correlation(np.diag([3.0, 0.2])) == pytest.approx(0)
    assert gaussian_wasserstein_correlation(np.diag([3.0, 0.2])) == (
        pytest.approx(0, abs=1e-12)
    )
    # Unit variances: W = 4 - 2 tr(sqrt(cov)) = 4 - 2 (sqrt(1+rho) +
    # sqrt(1-rho)).
    expected = 4 - 2 * (np.sqrt(1 + rho) + np.sqrt(1 - rho))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(expected)
