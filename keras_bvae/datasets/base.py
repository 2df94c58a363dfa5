"""The ground-truth data interface that the metrics and callbacks rely on.

A ground-truth data set knows its generative factors (names and number of
classes of each) and can render observations for any factor classes:

    factors = data.sample_factors(n, rng)                 # int64 (n, K)
    images = data.sample_observations_from_factors(factors, rng)
                                                          # float32 (n, H, W, C)

Training reads data through one batch stream (``keras_bvae.datasets.stream``).
Data that can list its items one by one says how many (``num_images``) and
returns the factors and images of any of them (``rows``); the stream then
walks through them in shuffled passes. Data without rows (only the members
above) is sampled instead. Both are optional: a plain class with the five
members above works everywhere.

Metrics that hold one factor fixed per row render through
``sample_observations_keeping(factors, keep_per_row, rng)``, which promises
that row i's image has the requested class of factor ``keep_per_row[i]``.
A data set that renders every combination exactly keeps it anyway (the
default); one that serves a stand-in for absent combinations overrides it.

The interface follows disentanglement_lib's ``GroundTruthData`` (Locatello et
al. 2019) so that metrics written against it read the same way.
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = [
    "GroundTruthData",
    "WrappedGroundTruthData",
    "as_rng",
    "check_factors",
    "check_keep_per_row",
]


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Returns a numpy Generator from a seed, a Generator, or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def check_factors(factors, factor_sizes: Sequence[int]) -> np.ndarray:
    """Validates an (n, K) array of factor classes and returns it as int64.

    Raises:
        ValueError: wrong rank, wrong number of columns, non-integer values or
            a class outside ``[0, factor_sizes[k])``, naming the bad value.
    """
    arr = np.asarray(factors)
    num_factors = len(factor_sizes)
    if arr.ndim != 2 or arr.shape[1] != num_factors:
        raise ValueError(
            f"factors must have shape (n, {num_factors}); got {arr.shape}"
        )
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(
                f"factors must be integer class indices; got dtype {arr.dtype}"
            )
    arr = arr.astype(np.int64)
    sizes = np.asarray(factor_sizes, dtype=np.int64)
    bad = (arr < 0) | (arr >= sizes[None, :])
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"factor {col} has class {arr[row, col]} at row {row}; "
            f"it must lie in [0, {sizes[col]})"
        )
    return arr


def check_keep_per_row(
    keep_per_row, num_rows: int, num_factors: int
) -> np.ndarray:
    """Validates one kept factor column per row (-1 = none): int64 (m,).

    Raises:
        ValueError: not an integer vector of length ``num_rows``, or an
            entry outside ``[-1, num_factors)``, naming the bad value.
    """
    arr = np.asarray(keep_per_row)
    if arr.shape != (num_rows,):
        raise ValueError(
            f"keep_per_row must have shape ({num_rows},), one factor index "
            f"per factor row; got {arr.shape}"
        )
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"keep_per_row must hold integer factor indices; got dtype "
            f"{arr.dtype}"
        )
    arr = arr.astype(np.int64)
    bad = (arr < -1) | (arr >= num_factors)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"keep_per_row has {arr[row]} at row {row}; it must be -1 (none) "
            f"or a factor index in [0, {num_factors})"
        )
    return arr


class GroundTruthData(abc.ABC):
    """Images with known generative factors.

    Subclasses implement ``factor_names``, ``factor_sizes``,
    ``observation_shape`` and ``sample_observations_from_factors``.
    """

    @property
    @abc.abstractmethod
    def factor_names(self) -> tuple[str, ...]:
        """Names of the factors, in column order."""

    @property
    @abc.abstractmethod
    def factor_sizes(self) -> tuple[int, ...]:
        """Number of classes of each factor."""

    @property
    @abc.abstractmethod
    def observation_shape(self) -> tuple[int, ...]:
        """Shape of one observation, e.g. (64, 64, 1)."""

    @property
    def num_factors(self) -> int:
        return len(self.factor_sizes)

    @property
    def num_images(self) -> int | None:
        """Number of items ``rows`` can return; None when the data can only
        be sampled (the default)."""
        return None

    @property
    def renders_deterministically(self) -> bool:
        """True when every factor combination has exactly one observation,
        so ``sample_observations_from_factors`` does not depend on its
        ``rng`` (metrics may then encode each combination once; see
        ``keras_bvae.disentanglement.CodesTable``). Defaults to False."""
        return False

    def rows(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Factors and images of items ``indices`` in [0, num_images).

        Returns:
            (int64 (n, K) factor classes, float32 (n, H, W, C) images).
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no rows; it can only be sampled"
        )

    def sample_factors(
        self, num: int, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """Draws ``num`` factor vectors uniformly: int64 (num, K)."""
        rng = as_rng(rng)
        cols = [rng.integers(0, size, num) for size in self.factor_sizes]
        return np.stack(cols, axis=1).astype(np.int64)

    @abc.abstractmethod
    def sample_observations_from_factors(
        self, factors, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """Observations for (num, K) factor classes: float32 in [0, 1]."""

    def sample_observations_keeping(
        self,
        factors,
        keep_per_row,
        rng: int | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Observations whose row i surely has the requested class of factor
        ``keep_per_row[i]`` (-1: no factor kept for that row).

        This default validates ``keep_per_row`` and returns
        ``self.sample_observations_from_factors(factors, rng)`` with the same
        draws from ``rng``: a data set that renders every requested
        combination exactly needs nothing more. A data set that serves a
        stand-in for absent combinations must override it.

        Args:
            factors: int (m, K) requested classes.
            keep_per_row: int (m,) factor column to keep per row, or -1.
            rng: seed or Generator, as for
                ``sample_observations_from_factors``.

        Raises:
            ValueError: a ``keep_per_row`` of the wrong shape or with an
                entry outside ``[-1, K)``.
        """
        check_keep_per_row(keep_per_row, len(factors), self.num_factors)
        return self.sample_observations_from_factors(factors, rng)

    def sample(
        self, num: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draws factors and their observations: ``(factors, images)``."""
        rng = as_rng(rng)
        factors = self.sample_factors(num, rng)
        return factors, self.sample_observations_from_factors(factors, rng)


class WrappedGroundTruthData(GroundTruthData):
    """Delegates the factors and observations to another data set.

    Subclass it to change one thing about a data set (time its rendering,
    add a channel) and override only that method.

    ``sample_observations_keeping`` goes to the base's own keeping method
    only when the subclass leaves ``sample_observations_from_factors`` as
    is. A subclass that overrides ``sample_observations_from_factors`` gets
    the plain default instead, so its override stays in charge of every
    image; it then keeps nothing beyond what the base renders exactly, and
    a warning says so when the base reports ``is_complete`` False. To keep
    factors there, override ``sample_observations_keeping`` too (call
    ``self.base.sample_observations_keeping`` and apply the same change).

    Args:
        base: GroundTruthData. The data set to delegate to.
    """

    def __init__(self, base: GroundTruthData):
        self.base = base

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self.base.factor_names

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return self.base.factor_sizes

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return self.base.observation_shape

    def sample_observations_from_factors(self, factors, rng=None):
        return self.base.sample_observations_from_factors(factors, rng)

    def sample_observations_keeping(self, factors, keep_per_row, rng=None):
        own = WrappedGroundTruthData.sample_observations_from_factors
        if type(self).sample_observations_from_factors is own:
            return self.base.sample_observations_keeping(
                factors, keep_per_row, rng
            )
        if getattr(self.base, "is_complete", True) is False:
            warnings.warn(
                f"{type(self).__name__} overrides "
                "sample_observations_from_factors but not "
                "sample_observations_keeping, and its base lacks some factor "
                "combinations: kept factors are not guaranteed",
                stacklevel=2,
            )
        return super().sample_observations_keeping(factors, keep_per_row, rng)
