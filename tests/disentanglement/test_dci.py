"""Tests of the DCI scores (Eastwood & Williams 2018) on toy factor data.

Factors have few classes so the default gradient boosting stays fast.
"""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from support import FactorVectorData, constant, oracle

from keras_bvae.disentanglement import dci

DATA = FactorVectorData((3, 4, 5))
SMALL = {"num_train": 300, "num_test": 200}


_NOISE_RNG = np.random.default_rng(0)


def noise3(x):
    return _NOISE_RNG.normal(size=(len(x), 3))


def test_oracle_scores_high_with_default_classifier():
    result = dci(DATA, oracle, seed=0, **SMALL)
    assert result["disentanglement"] >= 0.9
    assert result["completeness"] >= 0.9
    assert result["informativeness_test"] >= 0.95
    assert "GradientBoostingClassifier" in result["classifier"]
    importance = np.array(result["importance_matrix"])
    assert importance.shape == (3, 3)
    assert np.all(np.argmax(importance, axis=0) == [0, 1, 2])


def test_per_factor_informativeness_finds_the_factor_the_code_lacks():
    def without_last(x):
        return oracle(x)[:, :2]

    result = dci(DATA, without_last, seed=0, **SMALL)
    per_factor = result["per_factor_informativeness"]
    assert list(per_factor) == list(DATA.factor_names)
    assert per_factor[DATA.factor_names[0]] >= 0.95
    assert per_factor[DATA.factor_names[1]] >= 0.95
    # The third factor has 5 equally likely classes: chance is 0.2.
    assert per_factor[DATA.factor_names[2]] < 0.35
    assert result["informativeness_test"] == pytest.approx(
        np.mean(list(per_factor.values()))
    )


def test_mixed_code_scores_lower_than_oracle():
    # Orthogonal mixing: every factor needs every dimension.
    mix = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 0.0, -2.0]])

    def mixed(x):
        return x @ mix

    result = dci(DATA, mixed, seed=0, **SMALL)
    assert result["disentanglement"] < 0.6
    assert result["completeness"] < 0.6


def test_constant_code_scores_zero():
    result = dci(DATA, constant, seed=0, **SMALL)
    assert result["disentanglement"] == 0.0
    assert result["completeness"] == 0.0


def test_noise_code_is_neither_disentangled_nor_informative():
    result = dci(DATA, noise3, seed=0, **SMALL)
    assert result["disentanglement"] < 0.2
    assert result["informativeness_test"] < 0.5


def test_linear_classifier_importances_from_coefficients():
    result = dci(
        DATA,
        oracle,
        seed=0,
        classifier=LogisticRegression(max_iter=500),
        **SMALL,
    )
    assert result["disentanglement"] >= 0.7
    assert "LogisticRegression" in result["classifier"]


def test_classifier_without_importances_raises():
    with pytest.raises(ValueError, match="KNeighborsClassifier"):
        dci(DATA, oracle, classifier=KNeighborsClassifier(), **SMALL)


def test_same_seed_same_result():
    fast = GradientBoostingClassifier(n_estimators=10)
    a = dci(DATA, oracle, seed=2, classifier=fast, **SMALL)
    b = dci(DATA, oracle, seed=2, classifier=fast, **SMALL)
    assert a == b


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="num_test must be >= 1; got 0"):
        dci(DATA, oracle, num_train=10, num_test=0)


def test_parallel_fits_give_the_same_scores_as_serial():
    # Noisy codes so each classifier's randomness (its seed) matters.
    def noisy(x):
        return oracle(x) + np.random.default_rng(len(x)).normal(
            size=(len(x), 3)
        )

    clf = GradientBoostingClassifier(n_estimators=10, subsample=0.5)
    serial = dci(DATA, noisy, seed=3, classifier=clf, n_jobs=1, **SMALL)
    parallel = dci(DATA, noisy, seed=3, classifier=clf, n_jobs=3, **SMALL)
    assert parallel == serial
    assert dci(DATA, noisy, seed=4, classifier=clf, **SMALL) != serial


def test_progress_counts_images_and_classifiers():
    import io

    from keras_bvae.disentanglement import progress

    stream = io.StringIO()
    with progress.reporting("dci", stream=stream, interval=0) as line:
        dci(DATA, oracle, seed=0, num_train=100, num_test=50)
    assert line.done == {"images": 150, "classifiers": 3}
    assert line.totals == line.done
    assert (
        stream.getvalue()
        .splitlines()[-1]
        .startswith("dci: 150/150 images (100%)")
    )
    assert "3/3 classifiers" in stream.getvalue().splitlines()[-1]


def test_rejects_bad_n_jobs():
    with pytest.raises(ValueError, match="n_jobs"):
        dci(DATA, oracle, seed=0, n_jobs=-1, **SMALL)
