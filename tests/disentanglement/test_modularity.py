"""Tests of Ridgeway & Mozer (2018) modularity and explicitness."""

import numpy as np
import pytest
from support import (
    FactorVectorData,
    constant,
    noise_fn,
    oracle,
)

from keras_bvae.disentanglement import modularity_explicitness
from keras_bvae.disentanglement.modularity import (
    modularity_from_mutual_information,
)

DATA = FactorVectorData((4, 5, 6))
SMALL = {"num_train": 2000, "num_test": 1000}


def test_oracle_scores_high():
    result = modularity_explicitness(DATA, oracle, seed=0, **SMALL)
    assert result["modularity"] > 0.95
    assert result["explicitness_train"] > 0.9
    assert result["explicitness_test"] > 0.9
    assert len(result["per_dimension_modularity"]) == 3


def test_noise_code_has_chance_explicitness():
    result = modularity_explicitness(DATA, noise_fn(dims=3), seed=0, **SMALL)
    assert abs(result["explicitness_test"] - 0.5) < 0.05


def test_constant_code_scores_zero_modularity_and_chance_explicitness():
    result = modularity_explicitness(DATA, constant, seed=0, **SMALL)
    assert result["modularity"] == 0.0
    assert result["explicitness_test"] == pytest.approx(0.5, abs=0.02)


def test_dimension_mixing_two_factors_is_not_modular():
    def mixed(x):
        return np.stack([x[:, 0] * 5 + x[:, 1], x[:, 2]], axis=1)

    result = modularity_explicitness(DATA, mixed, seed=0, **SMALL)
    per_dim = result["per_dimension_modularity"]
    assert per_dim[1] > 0.95
    assert per_dim[0] < 0.8


def test_modularity_formula_on_hand_made_matrices():
    mi = np.array([[2.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    # Row 2: delta = (1 + 1) / (1 * 2) = 1; an all-zero row scores 0.
    np.testing.assert_allclose(
        modularity_from_mutual_information(mi), [1.0, 0.0, 0.0]
    )
    # delta = 0.5^2 / (1^2 * 2) = 0.125.
    np.testing.assert_allclose(
        modularity_from_mutual_information(np.array([[1.0, 0.5, 0.0]])),
        [0.875],
    )


def test_needs_two_factors():
    with pytest.raises(ValueError, match="at least 2 factors"):
        modularity_explicitness(DATA, oracle, factors=[0], **SMALL)


def test_same_seed_same_result():
    a = modularity_explicitness(DATA, noise_fn(seed=1), seed=3, **SMALL)
    b = modularity_explicitness(DATA, noise_fn(seed=1), seed=3, **SMALL)
    assert a == b
