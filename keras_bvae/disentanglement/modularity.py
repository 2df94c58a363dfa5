"""Modularity and explicitness (Ridgeway & Mozer, NeurIPS 2018).

Modularity asks whether each code dimension depends on at most one factor.
With m_jk = I(z_j; v_k) estimated from a histogram of z_j (``num_bins``
equal-width bins), theta_j = max_k m_jk, and K factors,

    delta_j = sum_{k != argmax} m_jk^2 / (theta_j^2 (K - 1)),
    modularity = mean_j (1 - delta_j),

so a dimension informative about one factor alone scores 1 and one equally
informative about all scores 0. A dimension with no information about any
factor (theta_j = 0) scores 0, as in disentanglement_lib.

Explicitness asks whether the factors can be read off the code linearly:
for each factor a logistic regression on the standardised code (mean and
standard deviation of the training sample) predicts its class; the score is
the area under the ROC curve of each class against the rest, averaged over
classes and then over factors, on the training and on held-out samples
(0.5 = chance, 1 = perfectly ordered).

Defaults (10,000 train and 5,000 test samples, 20 bins, scikit-learn's
``LogisticRegression()``) follow disentanglement_lib (Locatello et al.,
ICML 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from keras_bvae.datasets.base import as_rng
from keras_bvae.disentanglement import _utils
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = [
    "PROTOCOLS",
    "SCORE_KEYS",
    "explicitness_auc",
    "modularity_explicitness",
    "modularity_explicitness_from_codes",
    "modularity_from_mutual_information",
]

PROTOCOLS: dict[str, dict[str, Any]] = {
    # disentanglement_lib / Locatello et al. (2019).
    "full": {"num_train": 10000, "num_test": 5000, "num_bins": 20},
    "quick": {"num_train": 2000, "num_test": 1000, "num_bins": 20},
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = (
    "modularity",
    "explicitness_train",
    "explicitness_test",
)

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def modularity_from_mutual_information(mi: np.ndarray) -> np.ndarray:
    """Per-dimension modularity 1 - delta_j of a (D, K) matrix I(z_j; v_k).

    Args:
        mi: float (D, K), non-negative; K >= 2.

    Returns:
        float (D,) in [0, 1]; 0 for a dimension whose row is all zero
        (entries below 1e-12 count as zero).

    Example:
    ```python
    modularity_from_mutual_information(np.array([[1.0, 0.0], [0.5, 0.5]]))
    # array([1., 0.])
    ```
    """
    mi = np.asarray(mi, dtype=np.float64)
    if mi.ndim != 2 or mi.shape[1] < 2:
        raise ValueError(
            f"modularity needs a (D, K) matrix with K >= 2; got {mi.shape}"
        )
    # An estimate of zero information may come out as +-1e-17.
    squared = np.where(mi > 1e-12, mi, 0.0) ** 2
    top = squared.max(axis=1)
    rest = squared.sum(axis=1) - top
    out = np.zeros(len(mi))
    nonzero = top > 0
    out[nonzero] = 1.0 - rest[nonzero] / (top[nonzero] * (mi.shape[1] - 1))
    return out


def explicitness_auc(model, codes: np.ndarray, labels: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC of a fitted probabilistic classifier.

    Classes of ``model.classes_`` absent from ``labels`` (or present in
    every row) have no AUC and are left out of the mean.
    """
    proba = model.predict_proba(codes)
    aucs = []
    for col, cls in enumerate(model.classes_):
        positive = labels == cls
        if 0 < positive.sum() < len(labels):
            aucs.append(roc_auc_score(positive, proba[:, col]))
    return float(np.mean(aucs)) if aucs else 0.5


def modularity_explicitness(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_train: int = _FULL["num_train"],
    num_test: int = _FULL["num_test"],
    num_bins: int = _FULL["num_bins"],
    factors: Sequence[int | str] | None = None,
    classifier=None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """Ridgeway & Mozer (2018) modularity and explicitness.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D).
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_train: int. Samples for the mutual information and the
            classifiers' fit. Defaults to 10000.
        num_test: int. Held-out samples for explicitness. Defaults to 5000.
        num_bins: int. Equal-width bins per code dimension for the mutual
            information. Defaults to 20.
        factors: names or indices of the factors scored (at least 2 for
            modularity). Defaults to all.
        classifier: unfitted scikit-learn classifier with ``predict_proba``,
            cloned per factor. Defaults to ``LogisticRegression()``.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``modularity``, ``explicitness_train``,
        ``explicitness_test``, ``per_dimension_modularity`` (D floats),
        ``per_factor_explicitness`` (factor name -> held-out AUC),
        ``mutual_information`` (D lists of K floats, nats) and the settings
        used.

    Example:
    ```python
    scores = modularity_explicitness(data, model.encode, seed=0)
    scores["modularity"], scores["explicitness_test"]
    ```
    """
    data = as_ground_truth(data)
    num_train = _utils.check_count("num_train", num_train, minimum=2)
    num_test = _utils.check_count("num_test", num_test)
    num_bins = _utils.check_count("num_bins", num_bins)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    factor_indices = _utils.resolve_factors(data, factors)
    if len(factor_indices) < 2:
        raise ValueError("modularity needs at least 2 factors; got 1")
    rng = as_rng(seed)
    v_train, z_train, v_test, z_test = _utils.sample_train_test_codes(
        data, representation_fn, num_train, num_test, rng, encode_batch_size
    )
    names = [data.factor_names[i] for i in factor_indices]
    result = modularity_explicitness_from_codes(
        z_train,
        v_train[:, factor_indices],
        z_test,
        v_test[:, factor_indices],
        seed=rng,
        num_bins=num_bins,
        classifier=classifier,
        factor_names=names,
    )
    return {
        **result,
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "num_train": num_train,
        "num_test": num_test,
    }


def modularity_explicitness_from_codes(
    train_codes,
    train_factors,
    test_codes,
    test_factors,
    *,
    seed: int | np.random.Generator | None = 0,
    num_bins: int = _FULL["num_bins"],
    classifier=None,
    factor_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Modularity and explicitness of codes and factors given as arrays
    (the maths of ``modularity_explicitness``).

    Args:
        train_codes, test_codes: float (n, D) and (m, D). Codes from any
            framework; the mutual information uses the first.
        train_factors, test_factors: int (n, K) and (m, K), K >= 2.
        seed: int, Generator or None. Seeds the classifiers. Defaults to 0.
        num_bins, classifier: as in ``modularity_explicitness``.
        factor_names: K names. Defaults to "factor_0", ...

    Returns:
        The scores of ``modularity_explicitness`` (no sampling settings).

    Example:
    ```python
    scores = modularity_explicitness_from_codes(z, v, z_test, v_test)
    scores["modularity"]
    ```
    """
    z_train, v_train, z_test, v_test, names = _utils.check_train_test_samples(
        train_codes, train_factors, test_codes, test_factors, factor_names
    )
    if len(names) < 2:
        raise ValueError("modularity needs at least 2 factors; got 1")
    num_bins = _utils.check_count("num_bins", num_bins)
    rng = as_rng(seed)
    mi = _utils.mutual_information_matrix(
        _utils.discretize(z_train, num_bins), v_train
    )
    per_dim = modularity_from_mutual_information(mi)

    mean, std = z_train.mean(axis=0), z_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant dimension stays 0
    x_train, x_test = (z_train - mean) / std, (z_test - mean) / std
    base = LogisticRegression() if classifier is None else classifier
    train_auc, test_auc = [], []
    for col in range(len(names)):
        y_train, y_test = v_train[:, col], v_test[:, col]
        if len(np.unique(y_train)) < 2:
            # One class seen: nothing to order, chance level.
            train_auc.append(0.5)
            test_auc.append(0.5)
            continue
        model = _utils.seeded_clone(base, rng).fit(x_train, y_train)
        train_auc.append(explicitness_auc(model, x_train, y_train))
        test_auc.append(explicitness_auc(model, x_test, y_test))
    return {
        "modularity": float(per_dim.mean()),
        "explicitness_train": float(np.mean(train_auc)),
        "explicitness_test": float(np.mean(test_auc)),
        "per_dimension_modularity": per_dim.tolist(),
        "per_factor_explicitness": dict(zip(names, test_auc)),
        "mutual_information": mi.tolist(),
        "num_bins": num_bins,
        "factors": names,
        "classifier": repr(base),
    }
