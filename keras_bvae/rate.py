"""Where a model's rate goes: information about the images, or mismatch.

The KL term of the ELBO of one latent, averaged over the data, splits into

    E_x KL(q(z_j|x) || p(z_j)) = I(x; z_j) + KL(q(z_j) || p(z_j))

(Hoffman & Johnson, "ELBO surgery", 2016): the mutual information between
the images and the latent, and how far the aggregate posterior q(z_j) =
E_x q(z_j|x) is from the prior. Only the first term carries anything about
the images; rate in the second is spent on the shape of the code's
distribution.

Both are estimated on a sample of N images, with the aggregate posterior
taken as the mixture of their N posteriors (Chen et al.'s estimator for
beta-TCVAE and MIG, NeurIPS 2018). The information estimate is at most
log N, and it approaches log N when the posteriors are narrower than the
gaps between the codes of the sample, where N images cannot tell more. A
latent that holds one discrete factor of V equally likely values and
nothing else holds log V nats: more than that means it holds more.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from keras_bvae.datasets.base import as_rng

__all__ = ["rate_decomposition"]

_LOG_2PI = math.log(2.0 * math.pi)


def _log_normal(x, mean, logvar):
    return -0.5 * (_LOG_2PI + logvar + (x - mean) ** 2 * np.exp(-logvar))


def rate_decomposition(
    mean,
    logvar,
    *,
    seed: int | np.random.Generator | None = 0,
    chunk: int = 128,
) -> dict[str, np.ndarray]:
    """Each latent's KL to the prior, split into information and mismatch.

    Args:
        mean, logvar: (N, M) posterior parameters of N images (e.g.
            ``model.posterior_params(images)``); diagonal Gaussians, prior
            N(0, I).
        seed: int, Generator or None. The one draw z ~ q(z|x) per image
            of the Monte Carlo estimate. Defaults to 0.
        chunk: int. Images whose mixture densities are computed at once
            (N x M x chunk floats in memory).

    Returns:
        dict of (M,) float arrays, in nats, averaged over the images:
        ``kl`` (exact), ``information`` (I(x; z_j), Monte Carlo, at most
        log N) and ``marginal_kl`` (``kl - information``, the estimate of
        KL(q(z_j) || p(z_j))).

    Raises:
        ValueError: ``mean`` and ``logvar`` not of the same (N, M) shape,
            N < 2, or non-finite values.

    Example:
    ```python
    mean, logvar = model.posterior_params(images)  # 5,000 images
    parts = rate_decomposition(mean, logvar)
    parts["information"], parts["marginal_kl"]
    ```

    Reference: M. D. Hoffman, M. J. Johnson, "ELBO surgery: yet another way
    to carve up the variational evidence lower bound", NIPS 2016 Workshop
    on Advances in Approximate Bayesian Inference.
    """
    mean = np.asarray(mean, np.float64)
    logvar = np.asarray(logvar, np.float64)
    if mean.ndim != 2 or mean.shape != logvar.shape:
        raise ValueError(
            "mean and logvar must both be (N, M); got "
            f"{mean.shape} and {logvar.shape}"
        )
    if len(mean) < 2:
        raise ValueError(f"need at least 2 images; got {len(mean)}")
    if not (np.isfinite(mean).all() and np.isfinite(logvar).all()):
        raise ValueError("mean and logvar must be finite")
    n = len(mean)
    kl = 0.5 * (mean**2 + np.exp(logvar) - logvar - 1.0).mean(axis=0)
    z = mean + np.exp(0.5 * logvar) * as_rng(seed).standard_normal(mean.shape)
    log_own = _log_normal(z, mean, logvar)  # log q(z_n | x_n), (N, M)
    log_mixture = np.empty_like(z)  # log (1/N) sum_m q(z_n | x_m)
    for start in range(0, n, chunk):
        rows = slice(start, start + chunk)
        # (chunk, N, M): the density of sample n under posterior m.
        log_q = _log_normal(z[rows, None, :], mean[None], logvar[None])
        log_mixture[rows] = logsumexp(log_q, axis=1) - math.log(n)
    information = (log_own - log_mixture).mean(axis=0)
    return {
        "kl": kl,
        "information": information,
        "marginal_kl": kl - information,
    }
