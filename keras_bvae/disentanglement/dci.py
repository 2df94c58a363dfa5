"""Disentanglement, Completeness, Informativeness (Eastwood & Williams, ICLR
2018).

For each factor k a classifier predicts v_k from the whole code; its feature
importances give column k of an importance matrix R (D, K), R_jk >= 0.

- Disentanglement: with P_jk = R_jk / sum_k R_jk and
  H_K(P_j) = -sum_k P_jk log_K P_jk, dimension j scores D_j = 1 - H_K(P_j);
  the total weighs each dimension by its share of importance,
  D = sum_j rho_j D_j, rho_j = sum_k R_jk / sum_jk R_jk.
- Completeness: C_k = 1 - H_D(R_.k / sum_j R_jk), weighted the same way over
  factors.
- Informativeness: the classifiers' accuracy, averaged over factors, on the
  training and on held-out samples.

Defaults (10,000 train and 5,000 test samples, scikit-learn's
GradientBoostingClassifier with default settings) follow disentanglement_lib
(Locatello et al., ICML 2019). Gradient boosting is the slow part (minutes on
dSprites' 40-class orientation); any classifier exposing
``feature_importances_`` (e.g. a random forest) or ``coef_`` (absolute
weights summed over classes) may be passed instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from keras_bvae.datasets.base import as_rng
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = ["dci", "dci_from_codes", "PROTOCOLS", "SCORE_KEYS"]

PROTOCOLS: dict[str, dict[str, Any]] = {
    "full": {"num_train": 10000, "num_test": 5000},
    "quick": {"num_train": 1000, "num_test": 500},
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = (
    "disentanglement",
    "completeness",
    "informativeness_train",
    "informativeness_test",
)

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def _importances(model, num_dims: int) -> np.ndarray:
    if hasattr(model, "feature_importances_"):
        imp = np.abs(np.asarray(model.feature_importances_, dtype=float))
    elif hasattr(model, "coef_"):
        coef = np.abs(np.asarray(model.coef_, dtype=float))
        imp = coef.reshape(-1, num_dims).sum(axis=0)
    else:
        raise ValueError(
            f"classifier {model!r} exposes neither feature_importances_ nor "
            "coef_, so DCI cannot read an importance matrix from it"
        )
    return imp.reshape(num_dims)


def _weighted_score(importance: np.ndarray) -> float:
    """sum_j rho_j (1 - H_K(P_j)) over the rows of a (J, K) matrix."""
    total = importance.sum()
    if total <= 0:
        return 0.0
    k = importance.shape[1]
    row_sums = importance.sum(axis=1)
    scores = np.zeros(len(importance))
    for j in np.flatnonzero(row_sums > 0):
        p = importance[j] / row_sums[j]
        p = p[p > 0]
        h = -(p * np.log(p)).sum() / np.log(k) if k > 1 else 0.0
        scores[j] = 1.0 - h
    return float((row_sums / total * scores).sum())


def dci(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_train: int = _FULL["num_train"],
    num_test: int = _FULL["num_test"],
    factors: Sequence[int | str] | None = None,
    classifier=None,
    encode_batch_size: int = 4096,
    n_jobs: int | None = None,
) -> dict[str, Any]:
    """Eastwood & Williams (2018) DCI scores.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D).
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_train: int. Samples the classifiers fit. Defaults to 10000.
        num_test: int. Held-out samples. Defaults to 5000.
        factors: names or indices of the factors scored. Defaults to all.
        classifier: unfitted scikit-learn classifier, cloned per factor.
            Defaults to GradientBoostingClassifier().
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.
        n_jobs: int or None. Factors whose classifiers are fitted at once,
            in threads (scikit-learn's tree building releases the GIL).
            Scores do not depend on it. Defaults to the cores this process
            may use.

    Returns:
        dict with ``disentanglement``, ``completeness``,
        ``informativeness_train``, ``informativeness_test`` (mean accuracy
        over factors), ``per_factor_informativeness`` (factor name ->
        held-out accuracy: whether the whole code predicts that factor,
        however spread over dimensions), ``importance_matrix`` (D lists of
        K floats) and the settings used.

    Example:
    ```python
    from sklearn.ensemble import RandomForestClassifier

    result = dci(data, model.encode, classifier=RandomForestClassifier())
    result["disentanglement"], result["completeness"]
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
    result = dci_from_codes(
        z_train,
        v_train[:, factor_indices],
        z_test,
        v_test[:, factor_indices],
        seed=rng,
        classifier=classifier,
        n_jobs=n_jobs,
        factor_names=names,
    )
    return {
        **result,
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "num_train": num_train,
        "num_test": num_test,
    }


def dci_from_codes(
    train_codes,
    train_factors,
    test_codes,
    test_factors,
    *,
    seed: int | np.random.Generator | None = 0,
    classifier=None,
    n_jobs: int | None = None,
    factor_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """DCI of codes and factors given as arrays (the maths of ``dci``).

    Args:
        train_codes, test_codes: float (n, D) and (m, D). Codes from any
            framework; the classifiers fit the first and are scored on
            both.
        train_factors, test_factors: int (n, K) and (m, K). The factor
            classes of the same samples.
        seed: int, Generator or None. Seeds the classifiers. Defaults to 0.
        classifier, n_jobs: as in ``dci``.
        factor_names: K names. Defaults to "factor_0", ...

    Returns:
        The scores of ``dci`` (no sampling settings).

    Example:
    ```python
    dci_from_codes(z_train, v_train, z_test, v_test)["disentanglement"]
    ```
    """
    z_train, v_train, z_test, v_test, names = _utils.check_train_test_samples(
        train_codes, train_factors, test_codes, test_factors, factor_names
    )
    rng = as_rng(seed)
    factor_indices = list(range(len(names)))
    base = GradientBoostingClassifier() if classifier is None else classifier
    num_dims = z_train.shape[1]
    importance = np.zeros((num_dims, len(factor_indices)))
    train_acc = np.ones(len(factor_indices))
    test_acc = np.zeros(len(factor_indices))
    fits = {}
    for col, k in enumerate(factor_indices):
        y_train = v_train[:, k]
        if len(np.unique(y_train)) < 2:
            # A single class is predicted by any code and needs none.
            test_acc[col] = np.mean(v_test[:, k] == y_train[0])
        else:
            # Seeds drawn in factor order, so the scores do not depend
            # on n_jobs or on the order in which the fits finish.
            fits[col] = _utils.seeded_clone(base, rng)

    def fit(col: int):
        k = factor_indices[col]
        model = fits[col].fit(z_train, v_train[:, k])
        return (
            _importances(model, num_dims),
            np.mean(model.predict(z_train) == v_train[:, k]),
            np.mean(model.predict(z_test) == v_test[:, k]),
        )

    # Factors with many classes cost the most (gradient boosting fits a
    # tree per class and stage): start them first to balance the workers.
    order = sorted(
        fits, key=lambda col: -len(np.unique(v_train[:, factor_indices[col]]))
    )
    progress.expect("classifiers", len(order))
    progress.start("classifiers")
    workers = (
        _utils.check_count("n_jobs", n_jobs)
        if n_jobs
        else _utils.available_cores()
    )
    with ThreadPoolExecutor(
        max_workers=min(workers, max(len(order), 1))
    ) as pool:
        futures = {pool.submit(fit, col): col for col in order}
        for future in as_completed(futures):
            col = futures[future]
            importance[:, col], train_acc[col], test_acc[col] = future.result()
            progress.advance("classifiers")
    return {
        "disentanglement": _weighted_score(importance),
        "completeness": _weighted_score(importance.T),
        "informativeness_train": float(train_acc.mean()),
        "informativeness_test": float(test_acc.mean()),
        "per_factor_informativeness": dict(
            zip(names, test_acc.astype(float).tolist())
        ),
        "importance_matrix": importance.tolist(),
        "factors": names,
        "classifier": repr(base),
    }
