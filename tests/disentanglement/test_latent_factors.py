"""Latent labels from the latent x factor NMI, on oracle and noise codes."""

import numpy as np
import pytest
from support import FactorVectorData, oracle

from keras_bvae.disentanglement.latent_factors import (
    label_latents,
    latent_label,
)

# Fewer classes than the 20 bins, so the binning resolves every class.
SIZES = (3, 6, 10, 8, 8)
NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")


def with_noise(x, dims=2, seed=5):
    """The true factors followed by ``dims`` noise latents."""
    noise = np.random.default_rng(seed).normal(size=(len(x), dims))
    return np.concatenate([np.asarray(x, np.float64), noise], axis=1)


def test_oracle_latents_get_their_own_factor():
    result = label_latents(
        FactorVectorData(SIZES, NAMES), oracle, seed=0, num_samples=5000
    )
    assert result["nmi"].shape == (5, 5)
    assert np.diag(result["nmi"]) == pytest.approx(1.0, abs=1e-9)
    off_diagonal = result["nmi"][~np.eye(5, dtype=bool)]
    assert off_diagonal.max() < 0.02
    assert result["factors"] == list(NAMES)
    assert result["labels"][2] == "z2: orientation, NMI 1.00"
    assert result["best_latent"]["pos_y"] == (4, pytest.approx(1.0))


def test_noise_latents_are_unassigned():
    data = FactorVectorData(SIZES, NAMES)
    result = label_latents(data, with_noise, seed=0, num_samples=5000)
    assert result["nmi"].shape == (7, 5)
    assert result["factors"][5:] == [None, None]
    assert result["nmi"][5:].max() < 0.05
    assert result["labels"][5].startswith("z5: unassigned (best ")


def test_inactive_latents_are_labelled_inactive():
    data = FactorVectorData(SIZES, NAMES)
    active = [True, True, False, True, True, True, False]
    result = label_latents(
        data, with_noise, seed=0, num_samples=2000, active=active
    )
    assert result["labels"][2] == "z2: inactive"
    assert result["labels"][6] == "z6: inactive"
    assert result["factors"][2] is None
    # The factor an inactive latent held is credited to no latent of its own.
    assert result["best_latent"]["orientation"][0] != 2
    with pytest.raises(ValueError, match="one entry per latent \\(7\\)"):
        label_latents(data, with_noise, num_samples=100, active=[True])


def test_coarse_latent_scores_partial_nmi():
    # Latent 0 holds pos_x // 2 of 8 classes: I = log 4, H = log 8.
    data = FactorVectorData((8, 5), ("pos_x", "scale"))

    def halved(x):
        return np.stack([x[:, 0] // 2, x[:, 1]], axis=1)

    result = label_latents(data, halved, seed=0, num_samples=20000)
    assert result["nmi"][0, 0] == pytest.approx(2 / 3, abs=0.01)
    assert result["labels"][0] == "z0: pos_x, NMI 0.67"


def test_mixed_latent_names_its_second_factor():
    row = np.array([0.05, 0.52, 0.13])
    factor, label = latent_label(4, row, ["shape", "pos_x", "scale"])
    assert factor == "pos_x"
    assert label == "z4: pos_x, NMI 0.52 (+scale 0.13)"
    assert latent_label(4, row, ["a", "b", "c"], min_nmi=0.6) == (
        None,
        "z4: unassigned (best b, NMI 0.52)",
    )


def test_single_class_factor_is_skipped_and_settings_recorded():
    data = FactorVectorData((1, 4, 4), ("colour", "a", "b"))
    result = label_latents(data, oracle, seed=3, num_samples=1000, num_bins=10)
    assert result["skipped_factors"] == ["colour"]
    assert result["nmi"][:, 0].tolist() == [0.0, 0.0, 0.0]
    assert result["factors"] == [None, "a", "b"]
    assert (result["seed"], result["num_samples"], result["num_bins"]) == (
        3,
        1000,
        10,
    )


def test_same_seed_same_labels():
    data = FactorVectorData(SIZES, NAMES)
    a = label_latents(data, with_noise, seed=1, num_samples=1000)
    b = label_latents(data, with_noise, seed=1, num_samples=1000)
    assert a["labels"] == b["labels"]
    np.testing.assert_array_equal(a["nmi"], b["nmi"])


def test_bad_counts_raise():
    data = FactorVectorData(SIZES, NAMES)
    with pytest.raises(ValueError, match="num_samples must be >= 1; got 0"):
        label_latents(data, oracle, num_samples=0)
    with pytest.raises(ValueError, match="num_bins must be an integer"):
        label_latents(data, oracle, num_bins=2.5)


def test_factor_nmi_by_value_holds_one_factor_fixed():
    from keras_bvae.disentanglement.latent_factors import factor_nmi_by_value

    data = FactorVectorData(SIZES, NAMES)

    def by_shape(x):
        # z0: orientation for shape 0 only (constant for the others);
        # z1: orientation for every shape; z2: noise.
        x = np.asarray(x, np.float64)
        noise = np.random.default_rng(1).normal(size=len(x))
        return np.stack(
            [np.where(x[:, 0] == 0, x[:, 2], 0.0), x[:, 2], noise], 1
        )

    nmi = factor_nmi_by_value(data, by_shape, num_samples=3000)
    assert nmi.shape == (3, 3)  # shape's 3 values x 3 latents
    assert nmi[:, 1] == pytest.approx(1.0, abs=1e-9)
    assert nmi[0, 0] == pytest.approx(1.0, abs=1e-9)
    assert nmi[1:, 0] == pytest.approx(0.0, abs=1e-9)
    assert nmi[:, 2].max() < 0.05
    with pytest.raises(ValueError, match="unknown factor 'angle'"):
        factor_nmi_by_value(data, by_shape, factor="angle")
