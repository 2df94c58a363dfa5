"""The Separated Attribute Predictability score (Kumar et al., ICLR 2018).

For every code dimension j and factor k, a classifier that sees z_j alone
predicts the (discrete) factor v_k; S_jk is its held-out accuracy. With S
sorted over dimensions as S_(1) >= S_(2),

    SAP = (1 / K) * sum_k (S_(1)(k) - S_(2)(k)),

high when each factor is predictable from one dimension and from no other.
Dimensions with zero variance on the training samples get S_jk = 0.

Defaults (10,000 train and 5,000 test samples, a linear SVM with C = 0.01
and balanced class weights on the raw code value) follow disentanglement_lib
(Locatello et al., ICML 2019). A linear classifier on one scalar separates
few classes well, so factors with many classes (dSprites' 32 positions, 40
orientations) score low even for a perfect code; the score is meant for
comparing representations under the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.svm import LinearSVC

from keras_bvae.datasets.base import as_rng
from keras_bvae.disentanglement import _utils
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = ["sap", "sap_from_codes", "PROTOCOLS", "SCORE_KEYS"]

PROTOCOLS: dict[str, dict[str, Any]] = {
    "full": {"num_train": 10000, "num_test": 5000},
    "quick": {"num_train": 2000, "num_test": 1000},
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = ("sap",)

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def _default_classifier():
    return LinearSVC(C=0.01, class_weight="balanced")


def sap(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_train: int = _FULL["num_train"],
    num_test: int = _FULL["num_test"],
    factors: Sequence[int | str] | None = None,
    classifier=None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """Kumar et al. (2018) SAP score for discrete factors.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D)
            with D >= 2.
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_train: int. Samples the classifiers fit. Defaults to 10000.
        num_test: int. Held-out samples. Defaults to 5000.
        factors: names or indices of the factors averaged over. Defaults to
            all.
        classifier: unfitted scikit-learn classifier fitted on one code
            dimension at a time (cloned). Defaults to
            LinearSVC(C=0.01, class_weight="balanced").
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``sap``, ``per_factor`` (factor name -> gap),
        ``score_matrix`` (D lists of K accuracies) and the settings used.

    Example:
    ```python
    result = sap(data, model.encode, seed=0)
    result["sap"], result["per_factor"]
    ```
    """
    data = as_ground_truth(data)
    num_train = _utils.check_count("num_train", num_train)
    num_test = _utils.check_count("num_test", num_test)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    factor_indices = _utils.resolve_factors(data, factors)
    rng = as_rng(seed)
    v_train, z_train, v_test, z_test = _utils.sample_train_test_codes(
        data, representation_fn, num_train, num_test, rng, encode_batch_size
    )
    names = [data.factor_names[i] for i in factor_indices]
    result = sap_from_codes(
        z_train,
        v_train[:, factor_indices],
        z_test,
        v_test[:, factor_indices],
        seed=rng,
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


def sap_from_codes(
    train_codes,
    train_factors,
    test_codes,
    test_factors,
    *,
    seed: int | np.random.Generator | None = 0,
    classifier=None,
    factor_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """SAP of codes and factors given as arrays (the maths of ``sap``).

    Args:
        train_codes, test_codes: float (n, D) and (m, D), D >= 2. Codes
            from any framework.
        train_factors, test_factors: int (n, K) and (m, K). Their factor
            classes.
        seed: int, Generator or None. Seeds the classifiers. Defaults to 0.
        classifier: as in ``sap``.
        factor_names: K names. Defaults to "factor_0", ...

    Returns:
        The scores of ``sap`` (no sampling settings).

    Example:
    ```python
    sap_from_codes(z_train, v_train, z_test, v_test)["sap"]
    ```
    """
    z_train, v_train, z_test, v_test, names = _utils.check_train_test_samples(
        train_codes, train_factors, test_codes, test_factors, factor_names
    )
    rng = as_rng(seed)
    num_dims = z_train.shape[1]
    if num_dims < 2:
        raise ValueError(f"SAP needs D >= 2 code dimensions; got {num_dims}")
    base = _default_classifier() if classifier is None else classifier
    scores = np.zeros((num_dims, len(names)))
    for k in range(len(names)):
        col = k
        y_train, y_test = v_train[:, k], v_test[:, k]
        single = len(np.unique(y_train)) < 2
        for j in range(num_dims):
            x_train = z_train[:, j : j + 1]
            if np.ptp(x_train) == 0:
                continue
            if single:
                prediction = np.full(len(y_test), y_train[0])
            else:
                model = _utils.seeded_clone(base, rng).fit(x_train, y_train)
                prediction = model.predict(z_test[:, j : j + 1])
            scores[j, col] = np.mean(prediction == y_test)
    top = np.sort(scores, axis=0)[::-1]
    gaps = top[0] - top[1]
    return {
        "sap": float(gaps.mean()),
        "per_factor": dict(zip(names, gaps.astype(float).tolist())),
        "score_matrix": scores.tolist(),
        "factors": names,
        "classifier": repr(base),
    }
