"""Tests of Unsupervised Disentanglement Ranking (Duan et al., 2020)."""

import numpy as np
import pytest

from keras_bvae.disentanglement import udr
from keras_bvae.disentanglement.udr import (
    codes_and_kl,
    similarity_matrix,
    udr_pair_score,
)

N = 1000


def factors(seed=0, dims=4):
    return np.random.default_rng(seed).uniform(-1, 1, size=(N, dims))


def same_code_other_seed(v, seed):
    """The same disentangled code up to permutation, sign and scale."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(v.shape[1])
    signs = rng.choice([-1.0, 1.0], size=v.shape[1])
    return v[:, perm] * signs * rng.uniform(0.5, 2.0, size=v.shape[1])


def rotated(v, seed):
    """An entangled code: a random rotation, different for every seed."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(4, 4)))
    return v @ q


@pytest.mark.parametrize("method", ["spearman", "lasso"])
def test_permuted_copies_of_one_code_score_high(method):
    v = factors()
    codes = [same_code_other_seed(v, s) for s in range(4)]
    result = udr(codes, method=method)
    # Below 1: the Lasso shrinks each weight to 1 - alpha = 0.9, and
    # chance rank correlations of 1000 points spread a little weight.
    assert min(result["model_scores"]) > 0.85
    assert result["num_informative"] == [4, 4, 4, 4]


@pytest.mark.parametrize("method", ["spearman", "lasso"])
def test_entangled_codes_score_below_disentangled_ones(method):
    v = factors()
    good = udr([same_code_other_seed(v, s) for s in range(4)], method=method)
    bad = udr([rotated(v, s) for s in range(4)], method=method)
    assert (
        np.median(bad["model_scores"]) < np.median(good["model_scores"]) - 0.2
    )


def test_noise_codes_score_low():
    rng = np.random.default_rng(1)
    codes = [rng.normal(size=(N, 4)) for _ in range(3)]
    result = udr(codes, method="spearman")
    assert max(result["model_scores"]) < 0.4


def test_uninformative_latents_are_ignored_by_kl():
    v = factors(dims=3)
    rng = np.random.default_rng(2)
    # Two extra latents of noise that the KL marks as collapsed.
    codes = [
        np.concatenate([same_code_other_seed(v, s), rng.normal(size=(N, 2))], 1)
        for s in range(3)
    ]
    kl = [np.array([2.0, 2.0, 2.0, 0.001, 0.0])] * 3
    with_kl = udr(codes, kl, method="spearman")
    without = udr(codes, method="spearman")
    assert with_kl["num_informative"] == [3, 3, 3]
    assert min(with_kl["model_scores"]) > 0.85
    assert max(without["model_scores"]) < min(with_kl["model_scores"])


def test_constant_codes_score_zero():
    codes = [np.zeros((N, 3)), np.ones((N, 3))]
    assert udr(codes)["model_scores"] == [0.0, 0.0]


def test_pair_score_formula():
    assert udr_pair_score(np.eye(3)) == pytest.approx(1.0)
    assert udr_pair_score(np.ones((2, 2))) == pytest.approx(0.5)
    # Column sums 1 and 1 with maxima 1 and 0.5 -> (1 + 0.25 / 1)...
    r = np.array([[1.0, 0.5], [0.0, 0.5]])
    cols = 1.0**2 / 1.0 + 0.5**2 / 1.0
    rows = 1.0**2 / 1.5 + 0.5**2 / 0.5
    assert udr_pair_score(r) == pytest.approx((cols + rows) / 4)


def test_spearman_similarity_is_rank_correlation():
    x = np.linspace(0, 1, 50)[:, None]
    r = similarity_matrix(x, np.exp(x), "spearman")
    assert r[0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([np.zeros((5, 2))],), {}, "at least 2 models"),
        (([np.zeros((5, 2)), np.zeros((4, 2))],), {}, "same N = 5"),
        (
            ([np.zeros((5, 2)), np.zeros((5, 2))], [np.zeros(2), np.zeros(3)]),
            {},
            r"kl\[1\] has 3 entries for 2 latents",
        ),
        (([np.zeros((5, 2))] * 2,), {"method": "pearson"}, "method must be"),
    ],
)
def test_bad_arguments_raise(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        udr(*args, **kwargs)


def test_codes_and_kl_are_means_and_mean_gaussian_kl():
    class Posterior:
        def posterior_params(self, images):
            n = len(images)
            mean = np.tile([[0.0, 2.0]], (n, 1)).astype(np.float32)
            logvar = np.tile([[0.0, np.log(0.5)]], (n, 1)).astype(np.float32)
            return mean, logvar

    codes, kl = codes_and_kl(Posterior(), np.zeros((3, 4, 4, 1)))
    assert codes.shape == (3, 2)
    # KL(N(2, 0.5) || N(0, 1)) = (4 + 0.5 - 1 - log 0.5) / 2.
    assert kl == pytest.approx([0.0, (3.5 - np.log(0.5)) / 2])
