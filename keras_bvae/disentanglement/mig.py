"""The Mutual Information Gap (Chen et al., NeurIPS 2018).

Encode N samples; discretise every code dimension into ``num_bins``
equal-width bins over its range; estimate I(z_j; v_k) from the joint
histogram. For each factor k, with I sorted over dimensions as
I_(1) >= I_(2),

    MIG = (1 / K) * sum_k (I_(1)(k) - I_(2)(k)) / H(v_k),

so a factor captured fully by one dimension and by no other scores 1.
Defaults (10,000 samples, 20 bins) follow disentanglement_lib (Locatello et
al., ICML 2019). Note the binning caps the score: a factor with more classes
than bins cannot be fully resolved (on dSprites, 40 orientations and 32
positions into 20 bins leave even the true factors at about 0.9).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_bvae.datasets.base import as_rng
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = ["mig", "mig_from_codes", "PROTOCOLS", "SCORE_KEYS"]

PROTOCOLS: dict[str, dict[str, Any]] = {
    "full": {"num_train": 10000, "num_bins": 20},
    "quick": {"num_train": 2000, "num_bins": 20},
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = ("mig",)

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def mig(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_train: int = _FULL["num_train"],
    num_bins: int = _FULL["num_bins"],
    factors: Sequence[int | str] | None = None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """Chen et al. (2018) Mutual Information Gap.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D)
            with D >= 2.
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_train: int. Number of samples. Defaults to 10000.
        num_bins: int. Equal-width bins per code dimension. Defaults to 20.
        factors: names or indices of the factors averaged over. Defaults to
            all factors.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``mig``, ``per_factor`` (factor name -> gap) and the
        settings used. Factors with zero sampled entropy (a single class)
        carry no information; they are left out and listed under
        ``skipped_factors``.

    Example:
    ```python
    result = mig(data, model.encode, seed=0)
    result["mig"], result["per_factor"]["pos_x"]
    ```
    """
    data = as_ground_truth(data)
    num_train = _utils.check_count("num_train", num_train)
    num_bins = _utils.check_count("num_bins", num_bins)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    factor_indices = _utils.resolve_factors(data, factors)
    rng = as_rng(seed)
    progress.expect("images", num_train)
    v, codes = _utils.sample_codes(
        data, representation_fn, num_train, rng, encode_batch_size
    )
    names = [data.factor_names[i] for i in factor_indices]
    result = mig_from_codes(
        codes, v[:, factor_indices], num_bins=num_bins, factor_names=names
    )
    return {
        **result,
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "num_train": num_train,
    }


def mig_from_codes(
    codes,
    factors,
    *,
    num_bins: int = _FULL["num_bins"],
    factor_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The Mutual Information Gap of codes and factors given as arrays.

    The maths of ``mig``, for codes from any framework (numpy, PyTorch
    ``.numpy()``, JAX): ``mig`` samples and encodes, then calls this.

    Args:
        codes: float (n, D), D >= 2. The representation of n samples.
        factors: int (n, K) or (n,). Their ground-truth factor classes.
        num_bins: int. Equal-width bins per code dimension. Defaults to 20.
        factor_names: K names for ``per_factor``. Defaults to
            "factor_0", ...

    Returns:
        dict with ``mig``, ``per_factor``, ``skipped_factors`` (factors
        with a single class), ``num_bins`` and ``factors``.

    Example:
    ```python
    mig_from_codes(codes, factors)["mig"]
    ```
    """
    codes, v, names = _utils.check_samples(codes, factors, factor_names)
    num_bins = _utils.check_count("num_bins", num_bins)
    if codes.shape[1] < 2:
        raise ValueError(
            f"MIG needs at least 2 code dimensions; got {codes.shape[1]}"
        )
    mi = _utils.mutual_information_matrix(_utils.discretize(codes, num_bins), v)
    h = np.array([_utils.entropy(v[:, k]) for k in range(v.shape[1])])
    top = np.sort(mi, axis=0)[::-1]
    kept = h > 0
    if not kept.any():
        raise ValueError(
            f"all factors {names} took a single value in {len(v)} samples"
        )
    gaps = (top[0, kept] - top[1, kept]) / h[kept]
    kept_names = [n for n, keep in zip(names, kept) if keep]
    return {
        "mig": float(gaps.mean()),
        "per_factor": dict(zip(kept_names, gaps.astype(float).tolist())),
        "skipped_factors": [n for n, keep in zip(names, kept) if not keep],
        "num_bins": num_bins,
        "factors": names,
    }
