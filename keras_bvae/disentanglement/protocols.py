"""Named protocols for all metrics and ``evaluate``, which runs several.

``PROTOCOLS["full"]`` holds the settings of disentanglement_lib (Locatello et
al., ICML 2019), the ones published numbers use; ``PROTOCOLS["quick"]`` uses
about ten times fewer samples, for monitoring during training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from keras_bvae.datasets.base import GroundTruthData
from keras_bvae.disentanglement import _utils
from keras_bvae.disentanglement.beta_vae import PROTOCOLS as _BETA_VAE
from keras_bvae.disentanglement.beta_vae import beta_vae_score
from keras_bvae.disentanglement.dci import PROTOCOLS as _DCI
from keras_bvae.disentanglement.dci import dci
from keras_bvae.disentanglement.factor_vae import PROTOCOLS as _FACTOR_VAE
from keras_bvae.disentanglement.factor_vae import factor_vae_score
from keras_bvae.disentanglement.mig import PROTOCOLS as _MIG
from keras_bvae.disentanglement.mig import mig
from keras_bvae.disentanglement.sap import PROTOCOLS as _SAP
from keras_bvae.disentanglement.sap import sap

__all__ = ["METRICS", "PROTOCOLS", "evaluate", "protocol_settings"]

METRICS: dict[str, Callable[..., dict[str, Any]]] = {
    "beta_vae": beta_vae_score,
    "factor_vae": factor_vae_score,
    "mig": mig,
    "dci": dci,
    "sap": sap,
}

_PER_METRIC = {
    "beta_vae": _BETA_VAE,
    "factor_vae": _FACTOR_VAE,
    "mig": _MIG,
    "dci": _DCI,
    "sap": _SAP,
}

PROTOCOLS: dict[str, dict[str, dict[str, Any]]] = {
    name: {metric: table[name] for metric, table in _PER_METRIC.items()}
    for name in ("full", "quick")
}


def protocol_settings(metric: str, protocol: str = "full") -> dict[str, Any]:
    """A copy of the keyword arguments ``protocol`` uses for ``metric``."""
    if metric not in METRICS:
        raise ValueError(
            f"unknown metric {metric!r}; choose from {sorted(METRICS)}"
        )
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}"
        )
    return dict(PROTOCOLS[protocol][metric])


def evaluate(
    data: GroundTruthData,
    representation_fn: _utils.RepresentationFn,
    metrics: Sequence[str] = ("beta_vae", "factor_vae", "mig", "dci", "sap"),
    protocol: str = "full",
    seed: int = 0,
    **overrides: Any,
) -> dict[str, dict[str, Any]]:
    """Runs several metrics under one protocol: {metric name: result dict}.

    Every metric gets the same integer ``seed``, so each result can be
    reproduced alone by calling its function with the recorded settings.
    ``overrides`` (e.g. ``encode_batch_size=1024``) go to every metric; a
    per-metric dict can be given as ``overrides[metric_name]``.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    names = list(metrics)
    if not names:
        raise ValueError("metrics must name at least one metric; got ()")
    settings = {m: protocol_settings(m, protocol) for m in names}
    if isinstance(seed, (bool, np.random.Generator)) or not isinstance(
        seed, (int, np.integer)
    ):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    shared = {k: v for k, v in overrides.items() if k not in METRICS}
    results = {}
    for m in names:
        kwargs = {**settings[m], **shared, **overrides.get(m, {})}
        result = METRICS[m](data, representation_fn, seed=int(seed), **kwargs)
        results[m] = {**result, "protocol": protocol}
    return results
