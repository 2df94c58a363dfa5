"""Unsupervised Disentanglement Ranking (Duan et al., ICLR 2020).

UDR needs no labels. Its premise: models trained with the same
hyperparameters from different seeds find the same disentangled
representation (up to permutation and sign of the latents), while entangled
solutions differ from seed to seed. So the score of a model is how well its
informative latents match one-to-one those of its siblings.

For two models a and b encoded on the same N inputs (posterior means,
standardised), take the informative latents of each (mean KL to the prior
above ``kl_threshold``; d_a and d_b of them) and a similarity matrix
R (d_a, d_b) >= 0:

- ``"spearman"``: |Spearman rank correlation| of latent i of a and latent j
  of b;
- ``"lasso"``: |weights| of a Lasso regression (``lasso_alpha``) predicting
  b's latents from a's.

With r_i = max_j R_ij and r_j = max_i R_ij, the pair scores

    UDR_ab = 1 / (d_a + d_b) * (sum_j r_j^2 / sum_i R_ij
                                + sum_i r_i^2 / sum_j R_ij),

1 when every latent of each model matches exactly one of the other's and
lower the more a latent spreads over several. (With the Lasso an exact
match scores 1 - alpha, the weight the penalty leaves on standardised
codes; with 1,000 points, chance rank correlations of about 0.03 take a
few hundredths off the Spearman score.) A model's UDR is the median
of its scores against the other models, each pair oriented as in
disentanglement_lib (the other model's latents predicting its own, which
matters for the Lasso only). Hyperparameter settings are ranked by the
median UDR of their models.

Where d_a != d_b the paper's weighting (above) differs slightly from
disentanglement_lib's, which averages the two sums' means; where
d_a = d_b they are equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import Lasso

__all__ = ["codes_and_kl", "udr", "udr_pair_score", "similarity_matrix"]

METHODS = ("spearman", "lasso")


def _standardize(codes: np.ndarray) -> np.ndarray:
    std = codes.std(axis=0)
    return (codes - codes.mean(axis=0)) / np.where(std > 0, std, 1.0)


def similarity_matrix(
    a: np.ndarray,
    b: np.ndarray,
    method: str = "spearman",
    lasso_alpha: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Non-negative (D_a, D_b) similarity of the latents of two codes.

    Args:
        a: float (N, D_a) codes of one model.
        b: float (N, D_b) codes of another, on the same N inputs.
        method: str. "spearman" (absolute rank correlation) or "lasso"
            (absolute weights of a Lasso regression of b on a, both
            standardised). Defaults to "spearman".
        lasso_alpha: float. The Lasso penalty. Defaults to 0.1.
        seed: int. ``random_state`` of the Lasso. Defaults to 0.

    Returns:
        float (D_a, D_b); a constant latent's entries are 0.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if method == "spearman":
        ra = _standardize(rankdata(a, axis=0))
        rb = _standardize(rankdata(b, axis=0))
        return np.abs(ra.T @ rb) / len(a)
    model = Lasso(alpha=lasso_alpha, random_state=seed)
    model.fit(_standardize(a), _standardize(b))
    return np.abs(np.asarray(model.coef_).reshape(b.shape[1], a.shape[1])).T


def udr_pair_score(similarity: np.ndarray) -> float:
    """Duan et al.'s UDR of one pair from its (d_a, d_b) similarity
    matrix over informative latents; 0 if neither has any.

    Example:
    ```python
    udr_pair_score(np.eye(3))  # 1.0: a one-to-one match
    udr_pair_score(np.ones((2, 2)))  # 0.5: every latent matches both
    ```
    """
    r = np.asarray(similarity, dtype=np.float64)
    d_a, d_b = r.shape
    if d_a + d_b == 0:
        return 0.0

    def side(matrix):
        # sum over columns of (column max)^2 / column sum; 0 / 0 = 0.
        if matrix.size == 0:
            return 0.0
        top, total = matrix.max(axis=0), matrix.sum(axis=0)
        ok = total > 0
        return float((top[ok] ** 2 / total[ok]).sum())

    return (side(r) + side(r.T)) / (d_a + d_b)


def codes_and_kl(
    model: Any, images: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A model's codes and each latent's mean KL, the inputs of ``udr``.

    Args:
        model: anything with ``posterior_params(images) -> (mean, logvar)``
            of a diagonal Gaussian posterior under a standard normal prior
            (``BetaVAE``, a loaded or exported model).
        images: float32 (N, H, W, C) in [0, 1], the same for every model.

    Returns:
        ``(codes, kl)``: float (N, D) posterior means and float (D,) mean
        KL(q(z_d|x) || N(0, 1)) over the images, nats.
    """
    mean, logvar = model.posterior_params(np.asarray(images, np.float32))
    mean = np.asarray(mean, np.float64)
    logvar = np.asarray(logvar, np.float64)
    kl = 0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar)
    return mean, kl.mean(axis=0)


def udr(
    representations: Sequence[np.ndarray],
    kl: Sequence[np.ndarray] | None = None,
    *,
    method: str = "lasso",
    kl_threshold: float = 0.01,
    lasso_alpha: float = 0.1,
    seed: int = 0,
) -> dict[str, Any]:
    """UDR of several models from their codes on the same inputs.

    Args:
        representations: sequence of M >= 2 float arrays (N, D_m): each
            model's posterior mean on the same N images, in the same order
            (Duan et al. use N = 1000 and the same hyperparameters for all
            M models, differing only in the seed).
        kl: sequence of M float arrays (D_m,), each latent's mean KL
            divergence to the prior over the images, or None to treat every
            non-constant latent as informative. Defaults to None.
        method: str. "lasso" or "spearman", the two variants of the paper.
            Defaults to "lasso".
        kl_threshold: float. Latents with a mean KL at or below it are
            uninformative and ignored. Defaults to 0.01.
        lasso_alpha: float. Penalty of the Lasso variant. Defaults to 0.1.
        seed: int. ``random_state`` of the Lasso fits. Defaults to 0.

    Returns:
        dict with ``model_scores`` (M floats: each model's median pair
        score), ``pairwise`` (M x M; entry [a][b] scores a's latents
        predicting b's, diagonal NaN; a model's score is the median of its
        column), ``num_informative`` (M ints) and the settings used.

    Raises:
        ValueError: fewer than 2 models, codes of different lengths, or a
            ``kl`` entry whose length differs from its code's width.

    Example:
    ```python
    images = data.sample(1000, rng=0)[1]
    codes = [m.encode(images) for m in models_of_one_beta]
    scores = disentanglement.udr(codes, method="spearman")
    scores["model_scores"]
    ```

    Reference: Duan, Matthey, Saraiva, Watters, Burgess, Lerchner and
    Higgins, "Unsupervised Model Selection for Variational Disentangled
    Representation Learning", ICLR 2020.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    codes = [np.asarray(c, dtype=np.float64) for c in representations]
    if len(codes) < 2:
        raise ValueError(f"UDR compares at least 2 models; got {len(codes)}")
    for m, c in enumerate(codes):
        if c.ndim != 2 or len(c) != len(codes[0]):
            raise ValueError(
                f"representation {m} has shape {c.shape}; every one must be "
                f"(N, D) with the same N = {codes[0].shape[0]}"
            )
        if not np.all(np.isfinite(c)):
            raise ValueError(f"representation {m} has non-finite values")
    masks = []
    for m, c in enumerate(codes):
        varying = np.ptp(c, axis=0) > 0
        if kl is None:
            masks.append(varying)
            continue
        k = np.asarray(kl[m], dtype=np.float64).reshape(-1)
        if len(k) != c.shape[1]:
            raise ValueError(
                f"kl[{m}] has {len(k)} entries for {c.shape[1]} latents"
            )
        masks.append((k > kl_threshold) & varying)
    num = len(codes)
    pairwise = np.full((num, num), np.nan)
    for a in range(num):
        for b in range(num):
            if a == b:
                continue
            za, zb = codes[a][:, masks[a]], codes[b][:, masks[b]]
            if za.shape[1] == 0 or zb.shape[1] == 0:
                pairwise[a, b] = 0.0
                continue
            r = similarity_matrix(za, zb, method, lasso_alpha, seed)
            pairwise[a, b] = udr_pair_score(r)
    model_scores = [
        float(np.median(np.delete(pairwise[:, b], b))) for b in range(num)
    ]
    return {
        "model_scores": model_scores,
        "pairwise": pairwise.tolist(),
        "num_informative": [int(m.sum()) for m in masks],
        "method": method,
        "kl_threshold": float(kl_threshold),
        "lasso_alpha": float(lasso_alpha),
        "seed": int(seed),
    }
