"""Codes of every factor combination, encoded once and shared by metrics.

On a data set with one observation per factor combination (binary dSprites
has 737,280), a metric's images are all drawn from that fixed set. The
full protocols of the Higgins and FactorVAE metrics encode 1.92M and 0.97M
images, most of them repeats; encoding each combination once and looking
the codes up gives the codes the metric would compute (the encoder sees
the same images; on CPUs whose kernels sum in a batch-size-dependent order
they differ in the last float32 bit), hence the same scores for the same
seed, at a fraction of the cost.

``CodesTable(data, model.encode)`` encodes every combination;
``table.data`` and ``table.representation`` then stand in for ``data`` and
``model.encode`` in any metric. ``table.data`` hands out, in place of
images, each requested combination's row index, drawing factors exactly as
``data`` does.

Example:
```python
from keras_bvae.disentanglement import CodesTable, beta_vae_score

table = CodesTable(data, model.encode)   # 737,280 images on dSprites
beta_vae_score(table.data, table.representation, seed=0)
# == beta_vae_score(data, model.encode, seed=0)
```
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_bvae.datasets.base import (
    GroundTruthData,
    WrappedGroundTruthData,
    check_factors,
    check_keep_per_row,
)
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = ["CodesTable", "tabulate_if_worth_it", "worth_tabulating"]

# Above this many combinations the table is refused (memory and time).
MAX_COMBINATIONS = 5_000_000


class _RowIndexData(WrappedGroundTruthData):
    """``base`` whose observations are row indices (n, 1) into the table."""

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return (1,)

    def sample_factors(self, num, rng=None) -> np.ndarray:
        return self.base.sample_factors(num, rng)

    def sample_observations_from_factors(self, factors, rng=None):
        factors = check_factors(factors, self.factor_sizes)
        index = np.ravel_multi_index(factors.T, self.factor_sizes)
        return index[:, None]

    def sample_observations_keeping(self, factors, keep_per_row, rng=None):
        # Every combination is present, so every requested class is kept.
        check_keep_per_row(keep_per_row, len(factors), self.num_factors)
        return self.sample_observations_from_factors(factors, rng)


class CodesTable:
    """The codes of all factor combinations of a data set.

    Args:
        data: a data set whose ``renders_deterministically`` is True (one
            observation per combination), or any object ``as_ground_truth``
            adapts that says so.
        representation_fn: callable, numpy images (n, ...) -> codes (n, D).
        batch_size: int. Images per rendering and encoding call. Defaults
            to 4096.

    Attributes:
        codes: float64 (C, D), row ``np.ravel_multi_index(v, factor_sizes)``
            holding the code of combination v.
        data: a GroundTruthData drawing factors as ``data`` does, whose
            observations are those row indices, int64 (n, 1).

    Raises:
        ValueError: ``data`` does not render deterministically, or has more
            than ``MAX_COMBINATIONS`` combinations.
    """

    def __init__(
        self,
        data: DataLike,
        representation_fn: _utils.RepresentationFn,
        batch_size: int = 4096,
    ):
        base = as_ground_truth(data)
        if not getattr(base, "renders_deterministically", False):
            raise ValueError(
                f"{type(base).__name__} does not say it renders every factor "
                "combination one way only (renders_deterministically), so "
                "its codes cannot be tabulated; call the metrics on the data "
                "itself"
            )
        batch_size = _utils.check_count("batch_size", batch_size)
        sizes = tuple(int(s) for s in base.factor_sizes)
        total = int(np.prod(sizes))
        if total > MAX_COMBINATIONS:
            raise ValueError(
                f"{total:,} factor combinations is more than a codes table "
                f"holds ({MAX_COMBINATIONS:,}); call the metrics on the data "
                "itself"
            )
        progress.expect("images", total)

        def chunks():
            for start in range(0, total, batch_size):
                rows = np.arange(start, min(start + batch_size, total))
                yield np.stack(np.unravel_index(rows, sizes), axis=1)

        # The render rng is unused by a deterministic data set.
        parts = _utils.stream_codes(
            base,
            representation_fn,
            chunks(),
            np.random.default_rng(0),
            batch_size,
        )
        self.codes = np.concatenate(list(parts))
        self.data: GroundTruthData = _RowIndexData(base)

    def representation(self, rows) -> np.ndarray:
        """The codes of row indices (n, 1) from ``self.data``: (n, D)."""
        return self.codes[np.asarray(rows, dtype=np.int64)[:, 0]]


# Metrics whose full protocols encode more images than dSprites has.
_PAIR_METRICS = frozenset({"beta_vae", "factor_vae"})
# Protocols whose pair metrics encode that many (full-size samples).
_LARGE_PROTOCOLS = frozenset({"full", "higgins2017"})


def worth_tabulating(data, metrics: Sequence[str], protocol: str) -> bool:
    """Whether a codes table saves time: the full (or higgins2017) protocol
    of a metric that
    encodes millions of images (beta_vae, factor_vae) on data that renders
    each combination one way."""
    if protocol not in _LARGE_PROTOCOLS or not _PAIR_METRICS & set(metrics):
        return False
    data = as_ground_truth(data, need_factors=False)
    return bool(getattr(data, "renders_deterministically", False))


def tabulate_if_worth_it(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    codes_table: str,
    metrics: Sequence[str],
    protocol: str,
) -> tuple[Any, _utils.RepresentationFn, dict[str, Any] | None]:
    """``(data, representation_fn, record)`` for the metrics to use.

    Args:
        data, representation_fn: what the metrics would otherwise use.
        codes_table: "on" (always tabulate), "off" (never) or "auto"
            (where ``worth_tabulating``).
        metrics, protocol: what will run, for "auto".

    Returns:
        The table's data and lookup with a record ``{"images", "seconds"}``
        when tabulated, else the inputs unchanged and None.
    """
    if codes_table not in ("auto", "on", "off"):
        raise ValueError(
            f"codes_table must be 'auto', 'on' or 'off'; got {codes_table!r}"
        )
    if codes_table == "off" or (
        codes_table == "auto" and not worth_tabulating(data, metrics, protocol)
    ):
        return data, representation_fn, None
    started = time.time()
    table = CodesTable(data, representation_fn)
    record = {
        "images": len(table.codes),
        "seconds": round(time.time() - started, 1),
    }
    return table.data, table.representation, record
