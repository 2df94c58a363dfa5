"""Tests of the Higgins et al. (2017) beta-VAE metric on toy factor data."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from support import (
    CallLog,
    FactorVectorData,
    constant,
    dsprites_like,
    flat_oracle,
    noise_fn,
    oracle,
    partial_factor_images,
)

from keras_bvae.disentanglement import beta_vae, beta_vae_score

SMALL = {"batch_size": 16, "num_train": 300, "num_eval": 300}


def test_oracle_scores_high():
    result = beta_vae_score(dsprites_like(), oracle, seed=0, **SMALL)
    assert result["train_accuracy"] >= 0.95
    assert result["eval_accuracy"] >= 0.95


def test_confusion_shows_the_factors_a_code_leaves_out():
    # A code of scale, x and y only (no shape, no orientation): a point with
    # shape fixed looks like one with orientation fixed, so all mistakes
    # fall in that 2 x 2 block, where the classifier can only guess: the
    # accuracy is 3/5 + 2/5 * 1/2 = 0.8.
    def no_shape_no_orientation(x):
        return oracle(x)[:, [1, 3, 4]]

    result = beta_vae_score(
        dsprites_like(), no_shape_no_orientation, seed=0, **SMALL
    )
    confusion = np.array(result["eval_confusion"])
    assert confusion.shape == (5, 5) and confusion.sum() == SMALL["num_eval"]
    assert np.trace(confusion) / confusion.sum() == pytest.approx(
        result["eval_accuracy"]
    )
    block = np.ix_([0, 2], [0, 2])  # shape and orientation
    off_block = confusion.copy()
    off_block[block] = 0
    errors = confusion.sum() - np.trace(confusion)
    stray = off_block.sum() - np.trace(off_block)  # mistakes elsewhere
    assert stray <= 0.1 * errors  # (a few from averaging only L = 16 pairs)
    assert confusion[0, 2] + confusion[2, 0] > 0.2 * confusion[block].sum()
    assert result["eval_accuracy"] == pytest.approx(0.8, abs=0.05)


def test_constant_code_scores_chance():
    result = beta_vae_score(dsprites_like(), constant, seed=0, **SMALL)
    # Nothing to read: the classifier predicts one factor, right 1/5 of the
    # time (binomial std over 300 points ~ 0.023).
    assert abs(result["eval_accuracy"] - 0.2) < 0.08


def test_noise_code_scores_low():
    result = beta_vae_score(dsprites_like(), noise_fn(), seed=0, **SMALL)
    assert result["eval_accuracy"] < 0.35


def test_factor_subset_sets_chance_level():
    result = beta_vae_score(
        dsprites_like(), constant, seed=0, factors=["shape", "pos_x"], **SMALL
    )
    assert result["factors"] == ["shape", "pos_x"]
    assert abs(result["eval_accuracy"] - 0.5) < 0.1


def test_permuting_and_rescaling_dimensions_leaves_score_unchanged():
    data = FactorVectorData((3, 6, 10, 8, 8))

    # A weak code: factors plus heavy noise, so accuracy is far from 1.
    def noisy(seed):
        rng = np.random.default_rng(seed)
        return lambda x: x + rng.normal(scale=2.0, size=x.shape)

    base = beta_vae_score(data, noisy(1), seed=3, **SMALL)
    perm = [3, 0, 4, 1, 2]
    scale = np.array([0.01, 3.0, 100.0, 0.5, 7.0])

    same_noise = noisy(1)

    def transformed(x):
        return same_noise(x)[:, perm] * scale[perm]

    moved = beta_vae_score(data, transformed, seed=3, **SMALL)
    assert 0.3 < base["eval_accuracy"] < 0.95
    assert moved["train_accuracy"] == pytest.approx(
        base["train_accuracy"], abs=0.01
    )
    assert moved["eval_accuracy"] == pytest.approx(
        base["eval_accuracy"], abs=0.01
    )


def test_same_seed_same_result_other_seed_other_sample():
    data = FactorVectorData((3, 6, 10, 8, 8))
    a = beta_vae_score(data, noise_fn(seed=5), seed=7, **SMALL)
    b = beta_vae_score(data, noise_fn(seed=5), seed=7, **SMALL)
    c = beta_vae_score(data, noise_fn(seed=5), seed=8, **SMALL)
    assert a == b
    assert a["seed"] == 7
    assert (a["train_accuracy"], a["eval_accuracy"]) != (
        c["train_accuracy"],
        c["eval_accuracy"],
    )


def test_encodes_pairs_in_large_batches():
    log = CallLog(oracle)
    beta_vae_score(
        dsprites_like(),
        log,
        seed=0,
        batch_size=16,
        num_train=100,
        num_eval=50,
        encode_batch_size=1024,
    )
    total = (100 + 50) * 16 * 2
    assert sum(log.sizes) == total
    # 32 points (1024 images) per call, never one pair at a time.
    assert max(log.sizes) == 1024
    assert len(log.sizes) <= 2 * (-(-total // 1024)) + 2


def test_records_settings_and_accepts_custom_classifier():
    clf = LogisticRegression(max_iter=500)
    result = beta_vae_score(
        dsprites_like(), oracle, seed=1, classifier=clf, **SMALL
    )
    assert not hasattr(clf, "coef_")  # cloned, the caller's object untouched
    assert "LogisticRegression(max_iter=500" in result["classifier"]
    assert result["batch_size"] == 16
    assert result["num_train"] == 300 and result["num_eval"] == 300
    assert result["factors"] == list(dsprites_like().factor_names)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size must be >= 1; got 0"),
        ({"num_train": -1}, "num_train must be >= 1; got -1"),
        ({"num_eval": 0}, "num_eval must be >= 1; got 0"),
        ({"encode_batch_size": 0}, "encode_batch_size must be >= 1"),
        ({"factors": ["colour"]}, "unknown factor 'colour'"),
    ],
)
def test_bad_settings_raise(kwargs, message):
    settings = {**SMALL, **kwargs}
    with pytest.raises(ValueError, match=message):
        beta_vae_score(dsprites_like(), oracle, **settings)


def test_bad_representation_raises():
    def nan_code(x):
        z = np.zeros((len(x), 3))
        z[-1, 1] = np.nan
        return z

    with pytest.raises(ValueError, match="non-finite value nan"):
        beta_vae_score(dsprites_like(), nan_code, **SMALL)
    with pytest.raises(ValueError, match="shape"):
        beta_vae_score(dsprites_like(), lambda x: x[:, 0], **SMALL)


def test_pairs_share_the_fixed_factor_on_a_partial_data_set():
    # 10% of the combinations exist: most v2 requests are absent and served
    # by a stand-in, which must still have v1's class of factor y.
    data = partial_factor_images(fraction=0.1)
    features, labels = beta_vae._pair_features(
        data, flat_oracle, 200, 16, np.arange(5), np.random.default_rng(1), 512
    )
    # The oracle reads the true factors: factor y differs in no pair.
    np.testing.assert_array_equal(features[np.arange(200), labels], 0.0)
    result = beta_vae_score(data, flat_oracle, seed=0, **SMALL)
    assert result["train_accuracy"] == 1.0
    assert result["eval_accuracy"] == 1.0
