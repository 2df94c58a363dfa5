"""Label-free scores of the mean representation, as disentanglement_lib
reports them (Locatello et al., ICML 2019, "unsupervised scores").

With Sigma the sample covariance of the codes of ``num_train`` images and
D = diag(Sigma):

- Gaussian total correlation: the KL divergence from N(0, Sigma) to
  N(0, D), i.e. the total correlation of a Gaussian with that covariance,

      TC = 1/2 (sum_j log Sigma_jj - log det Sigma)       (nats);

- Gaussian Wasserstein correlation: the squared 2-Wasserstein distance
  between the same two Gaussians,

      W = tr(Sigma) + tr(D) - 2 tr((D^1/2 Sigma D^1/2)^1/2),

  and ``gaussian_wasserstein_correlation_norm`` = W / tr(Sigma);
- mutual information score: the mean over ordered pairs j != l of the
  histogram estimate of I(z_j; z_l) (``num_bins`` equal-width bins), nats.

All are 0 for independent dimensions and grow with their dependence, so
lower means more factorised. They need no labels: the data's factors are
used only to sample images. Dimensions that are constant over the sample
carry no dependence and are left out (the covariance would be singular).
Defaults (10,000 samples, 20 bins) follow disentanglement_lib.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_bvae.datasets.base import as_rng
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = [
    "PROTOCOLS",
    "SCORE_KEYS",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "unsupervised_scores",
    "unsupervised_scores_from_codes",
]

PROTOCOLS: dict[str, dict[str, Any]] = {
    # disentanglement_lib / Locatello et al. (2019).
    "full": {"num_train": 10000, "num_bins": 20},
    "quick": {"num_train": 2000, "num_bins": 20},
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = (
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "gaussian_wasserstein_correlation_norm",
    "mutual_info_score",
)

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def gaussian_total_correlation(cov: np.ndarray) -> float:
    """Total correlation (nats) of a Gaussian with covariance ``cov``.

    Example:
    ```python
    rho = 0.6
    gaussian_total_correlation(np.array([[1, rho], [rho, 1]]))
    # = -0.5 * log(1 - rho**2) = 0.223
    ```
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        return float("inf")
    return float(0.5 * (np.log(np.diag(cov)).sum() - logdet))


def gaussian_wasserstein_correlation(cov: np.ndarray) -> float:
    """Squared 2-Wasserstein distance between N(0, cov) and N(0, diag cov).

    Example:
    ```python
    gaussian_wasserstein_correlation(np.eye(3))  # 0.0
    ```
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    root_d = np.sqrt(np.diag(cov))
    inner = root_d[:, None] * cov * root_d[None, :]
    eig = np.clip(np.linalg.eigvalsh(inner), 0.0, None)
    return float(2.0 * np.trace(cov) - 2.0 * np.sqrt(eig).sum())


def unsupervised_scores(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_train: int = _FULL["num_train"],
    num_bins: int = _FULL["num_bins"],
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """disentanglement_lib's unsupervised scores of the mean representation.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's). Only
            used to sample images, so unlabelled images (no factors) work.
        representation_fn: callable. numpy images (n, ...) -> codes (n, D).
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_train: int. Number of samples; at least 2. Defaults to 10000.
        num_bins: int. Equal-width bins per dimension for the mutual
            information. Defaults to 20.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``gaussian_total_correlation``,
        ``gaussian_wasserstein_correlation``,
        ``gaussian_wasserstein_correlation_norm``, ``mutual_info_score``
        (all 0 for independent dimensions, higher = more dependent),
        ``num_constant_dims`` (left out) and the settings used.

    Example:
    ```python
    scores = unsupervised_scores(data, model.encode, seed=0)
    scores["gaussian_total_correlation"]
    ```
    """
    data = as_ground_truth(data, need_factors=False)
    num_train = _utils.check_count("num_train", num_train, minimum=2)
    num_bins = _utils.check_count("num_bins", num_bins)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    rng = as_rng(seed)
    progress.expect("images", num_train)
    _, codes = _utils.sample_codes(
        data, representation_fn, num_train, rng, encode_batch_size
    )
    return {
        **unsupervised_scores_from_codes(codes, num_bins=num_bins),
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "num_train": num_train,
    }


def unsupervised_scores_from_codes(
    codes, *, num_bins: int = _FULL["num_bins"]
) -> dict[str, Any]:
    """The label-free scores of ``unsupervised_scores`` on codes given as
    an array (n, D) from any framework.

    Example:
    ```python
    unsupervised_scores_from_codes(codes)["gaussian_total_correlation"]
    ```
    """
    codes = np.asarray(codes)
    if codes.ndim != 2 or len(codes) < 2 or not np.all(np.isfinite(codes)):
        raise ValueError(
            f"codes must be finite (n, D) with n >= 2; got shape {codes.shape}"
        )
    num_bins = _utils.check_count("num_bins", num_bins)
    varying = np.ptp(codes, axis=0) > 0
    kept = codes[:, varying]
    num_dims = kept.shape[1]
    if num_dims >= 2:
        cov = np.cov(kept, rowvar=False)
        tc = gaussian_total_correlation(cov)
        wc = gaussian_wasserstein_correlation(cov)
        wc_norm = wc / float(np.trace(cov))
    else:
        tc = wc = wc_norm = 0.0
    if codes.shape[1] >= 2:
        binned = _utils.discretize(codes, num_bins)
        mi = _utils.mutual_information_matrix(binned, binned)
        np.fill_diagonal(mi, 0.0)
        d = codes.shape[1]
        mi_score = float(mi.sum() / (d * d - d))
    else:
        mi_score = 0.0
    return {
        "gaussian_total_correlation": tc,
        "gaussian_wasserstein_correlation": wc,
        "gaussian_wasserstein_correlation_norm": wc_norm,
        "mutual_info_score": mi_score,
        "num_constant_dims": int((~varying).sum()),
        "num_bins": num_bins,
    }
