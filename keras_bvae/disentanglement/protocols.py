"""Named protocols for all metrics and ``evaluate``, which runs several.

Each metric module owns its settings (``PROTOCOLS``, whose "full" entry is
also its function's defaults) and its scalar result keys (``SCORE_KEYS``);
this module only gathers them. ``PROTOCOLS["full"]`` holds the settings of
disentanglement_lib (Locatello et al., ICML 2019), the ones published
numbers use; ``PROTOCOLS["quick"]`` uses about ten times fewer samples, for
monitoring during training. A metric may define more protocols of its own:
``PROTOCOLS["higgins2017"]`` is the beta_vae metric as Higgins et al.
(ICLR 2017) ran it, and holds that metric only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from keras_bvae.disentanglement import _utils
from keras_bvae.disentanglement.codes_table import tabulate_if_worth_it
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = [
    "METRICS",
    "PROTOCOLS",
    "SCORE_KEYS",
    "evaluate",
    "protocol_metrics",
    "protocol_settings",
]

# (metric name, its module, its function). The module owns the metric's
# PROTOCOLS and SCORE_KEYS. Imported by path: the package attribute ``mig``
# is the function, not the module.
_ENTRIES = (
    ("beta_vae", "beta_vae", "beta_vae_score"),
    ("factor_vae", "factor_vae", "factor_vae_score"),
    ("mig", "mig", "mig"),
    ("dci", "dci", "dci"),
    ("sap", "sap", "sap"),
    ("modularity", "modularity", "modularity_explicitness"),
    ("unsupervised", "unsupervised", "unsupervised_scores"),
)
_MODULES = {
    name: importlib.import_module(f"keras_bvae.disentanglement.{module}")
    for name, module, _ in _ENTRIES
}

METRICS: dict[str, Callable[..., dict[str, Any]]] = {
    name: getattr(_MODULES[name], function) for name, _, function in _ENTRIES
}

# Every protocol any metric defines; "full" and "quick" are in all of them.
PROTOCOLS: dict[str, dict[str, dict[str, Any]]] = {
    protocol: {
        name: module.PROTOCOLS[protocol]
        for name, module in _MODULES.items()
        if protocol in module.PROTOCOLS
    }
    for protocol in dict.fromkeys(
        p for module in _MODULES.values() for p in module.PROTOCOLS
    )
}

DEFAULT_METRICS = ("beta_vae", "factor_vae", "mig", "dci", "sap")

# Metrics that use no factor labels, so score unlabelled images too.
LABEL_FREE_METRICS = frozenset({"unsupervised"})

# metric name -> the scalar scores of its result dict, e.g. ("mig",).
SCORE_KEYS: dict[str, tuple[str, ...]] = {
    name: module.SCORE_KEYS for name, module in _MODULES.items()
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
    if metric not in PROTOCOLS[protocol]:
        raise ValueError(
            f"protocol {protocol!r} has no settings for metric {metric!r}; "
            f"it defines {sorted(PROTOCOLS[protocol])}"
        )
    return dict(PROTOCOLS[protocol][metric])


def protocol_metrics(
    protocol: str, metrics: Sequence[str] = DEFAULT_METRICS
) -> tuple[str, ...]:
    """Those of ``metrics`` that ``protocol`` defines (all five defaults
    for "full" and "quick"; ("beta_vae",) for "higgins2017")."""
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}"
        )
    return tuple(m for m in metrics if m in PROTOCOLS[protocol])


def evaluate(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    metrics: Sequence[str] | None = None,
    protocol: str = "full",
    seed: int = 0,
    codes_table: str = "off",
    **overrides: Any,
) -> dict[str, dict[str, Any]]:
    """Runs several metrics under one protocol: {metric name: result dict}.

    ``metrics`` None runs those of the five defaults (beta_vae,
    factor_vae, mig, dci, sap) that ``protocol`` defines.

    Every metric gets the same integer ``seed``, so each result can be
    reproduced alone by calling its function with the recorded settings.
    ``codes_table`` "on" encodes every factor combination once and lets
    the metrics look codes up (``CodesTable``: same scores, much faster
    for the full beta_vae and factor_vae protocols on dSprites); "auto"
    does so where it pays; "off" (default) encodes every image drawn.
    ``overrides`` (e.g. ``encode_batch_size=1024``) go to every metric; a
    per-metric dict can be given as ``overrides[metric_name]``.
    """
    if metrics is None:
        metrics = protocol_metrics(protocol)
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
    data = as_ground_truth(
        data, need_factors=not set(names) <= LABEL_FREE_METRICS
    )
    data, representation_fn, _ = tabulate_if_worth_it(
        data, representation_fn, codes_table, names, protocol
    )
    shared = {k: v for k, v in overrides.items() if k not in METRICS}
    results = {}
    for m in names:
        kwargs = {**settings[m], **shared, **overrides.get(m, {})}
        result = METRICS[m](data, representation_fn, seed=int(seed), **kwargs)
        results[m] = {**result, "protocol": protocol}
    return results
