"""The FactorVAE disentanglement metric (Kim & Mnih, ICML 2018).

1. Scale: encode a global sample and take each dimension's empirical
   variance s_j^2; dimensions whose standard deviation s_j is below
   ``prune_threshold`` count as collapsed (to the prior's mean) and are
   ignored.
2. One vote: draw a factor index y uniformly; draw L factor vectors that all
   share the same value of factor y; encode them; the vote goes to

       j* = argmin_j  Var_l(z_lj) / s_j^2      over active dimensions j,

   and the pair (j*, y) is counted in a (D, K) vote matrix.
   The vectors are rendered keeping factor y
   (``sample_observations_keeping``), so on a data set lacking some
   combinations the images served instead still share y.
3. Majority-vote classifier: dimension j predicts the factor with most votes
   in its row of the training matrix. Accuracy = sum of the votes it gets
   right / all votes, on training and on held-out votes.

Defaults (L = 64, 10,000 train and 5,000 eval votes, 10,000 codes for the
scale, threshold 0.05 on the standard deviation) follow disentanglement_lib's
protocol (Locatello et al., ICML 2019); ``validate/`` compares the two
implementations. With no active dimension the score is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_bvae.datasets.base import GroundTruthData, as_rng
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = ["factor_vae_score", "PROTOCOLS", "SCORE_KEYS"]

PROTOCOLS: dict[str, dict[str, Any]] = {
    "full": {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
        "num_variance_estimate": 10000,
        "prune_threshold": 0.05,
    },
    "quick": {
        "batch_size": 64,
        "num_train": 1000,
        "num_eval": 500,
        "num_variance_estimate": 2000,
        "prune_threshold": 0.05,
    },
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = ("train_accuracy", "eval_accuracy")

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def _votes(
    data: GroundTruthData,
    representation_fn: _utils.RepresentationFn,
    num_votes: int,
    batch_size: int,
    factor_indices: np.ndarray,
    scale: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
    encode_batch_size: int,
) -> np.ndarray:
    """Returns the (D, K) vote matrix of ``num_votes`` votes."""
    votes = np.zeros((len(scale), data.num_factors), dtype=np.int64)
    labels = rng.choice(factor_indices, size=num_votes)
    active_idx = np.flatnonzero(active)
    per_chunk = max(1, encode_batch_size // batch_size)
    starts = range(0, num_votes, per_chunk)

    def factor_chunks():
        # Drawn lazily, in this thread, from ``rng``.
        for start in starts:
            y = labels[start : start + per_chunk]
            p = len(y)
            f = data.sample_factors(p * batch_size, rng)
            f = f.reshape(p, batch_size, -1)
            # Every vector of a group takes the fixed factor from its first,
            # and keeps it where the exact combination has no image.
            f[np.arange(p), :, y] = f[np.arange(p), 0, y][:, None]
            yield f.reshape(p * batch_size, -1), np.repeat(y, batch_size)

    codes_iter = _utils.stream_codes(
        data,
        representation_fn,
        factor_chunks(),
        _utils.child_rng(rng),
        encode_batch_size,
    )
    for start, codes in zip(starts, codes_iter):
        if codes.shape[1] != len(scale):
            raise ValueError(
                f"representation_fn returned {codes.shape[1]} dimensions "
                f"here but {len(scale)} for the variance estimate"
            )
        codes = codes.reshape(-1, batch_size, codes.shape[1])
        y = labels[start : start + len(codes)]
        local = codes[:, :, active].var(axis=1, ddof=1) / scale[active]
        winners = active_idx[np.argmin(local, axis=1)]
        np.add.at(votes, (winners, y), 1)
    return votes


def factor_vae_score(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    batch_size: int = _FULL["batch_size"],
    num_train: int = _FULL["num_train"],
    num_eval: int = _FULL["num_eval"],
    num_variance_estimate: int = _FULL["num_variance_estimate"],
    prune_threshold: float = _FULL["prune_threshold"],
    factors: Sequence[int | str] | None = None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """Kim & Mnih (2018) FactorVAE metric: majority vote over the
    dimension of least normalised variance when one factor is fixed.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D).
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        batch_size: int. L, codes per vote; at least 2. Defaults to 64.
        num_train: int. Votes that train the classifier. Defaults to 10000.
        num_eval: int. Held-out votes. Defaults to 5000.
        num_variance_estimate: int. Codes for the per-dimension variance;
            at least 2. Defaults to 10000.
        prune_threshold: float. Dimensions whose standard deviation over
            the global sample is smaller are collapsed, as in
            disentanglement_lib (a threshold on the variance would be its
            square). Defaults to 0.05.
        factors: names or indices of the factors that get fixed. Defaults to
            all factors.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``train_accuracy``, ``eval_accuracy``,
        ``num_active_dims`` and the settings used.

    Example:
    ```python
    result = factor_vae_score(data, model.encode, seed=0)
    result["eval_accuracy"], result["num_active_dims"]
    ```
    """
    data = as_ground_truth(data)
    batch_size = _utils.check_count("batch_size", batch_size, minimum=2)
    num_train = _utils.check_count("num_train", num_train)
    num_eval = _utils.check_count("num_eval", num_eval)
    num_variance_estimate = _utils.check_count(
        "num_variance_estimate", num_variance_estimate, minimum=2
    )
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    if not np.isfinite(prune_threshold) or prune_threshold < 0:
        raise ValueError(
            f"prune_threshold must be finite and >= 0; got {prune_threshold}"
        )
    factor_indices = _utils.resolve_factors(data, factors)
    rng = as_rng(seed)
    progress.expect(
        "images", num_variance_estimate + batch_size * (num_train + num_eval)
    )

    _, codes = _utils.sample_codes(
        data, representation_fn, num_variance_estimate, rng, encode_batch_size
    )
    scale = codes.var(axis=0, ddof=1)
    active = np.sqrt(scale) >= prune_threshold
    result = {
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "batch_size": batch_size,
        "num_train": num_train,
        "num_eval": num_eval,
        "num_variance_estimate": num_variance_estimate,
        "prune_threshold": float(prune_threshold),
        "factors": [data.factor_names[i] for i in factor_indices],
        "num_active_dims": int(active.sum()),
    }
    if not active.any():
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, **result}

    args = (batch_size, factor_indices, scale, active, rng, encode_batch_size)
    train_votes = _votes(data, representation_fn, num_train, *args)
    eval_votes = _votes(data, representation_fn, num_eval, *args)
    # Dimension j predicts the factor it was most often the argmin for.
    prediction = np.argmax(train_votes, axis=1)
    rows = np.arange(len(prediction))
    train_acc = train_votes[rows, prediction].sum() / train_votes.sum()
    eval_acc = eval_votes[rows, prediction].sum() / eval_votes.sum()
    return {
        "train_accuracy": float(train_acc),
        "eval_accuracy": float(eval_acc),
        **result,
    }
