"""Ground-truth data from any labelled image arrays.

A set of images with integer factor classes (``factors[i, k]`` is the class
of factor k in image i) becomes a ``GroundTruthData``: observations for
requested factors are looked up. Disentanglement metrics ask for arbitrary
factor combinations, so a data set that lacks some of them needs a rule.

Rule for a requested factor vector ``f``:

1. If images with exactly ``f`` exist, one of them is drawn uniformly.
2. Otherwise an image is drawn uniformly among those that share the
   requested class of every kept factor and, among these, match ``f`` on
   the largest number of the remaining factors (the nearest existing
   combinations in Hamming distance).

Kept factors are ``keep`` (the same column(s) for every row) plus, per row,
``keep_per_row[i]`` (one column for row i, -1 for none). The beta-VAE
(Higgins et al. 2017) and FactorVAE (Kim & Mnih 2018) metrics hold a
different factor fixed for each pair or group; they render through
``sample_observations_keeping``, which passes that factor as
``keep_per_row``, so the image always has the fixed class their labels rely
on. Without any kept factor the nearest combination is used, and on a data
set with every combination (real dSprites) rule 1 always applies.

``sample_factors`` draws uniformly over the combinations present in the data,
which is the uniform factor distribution when every combination exists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from keras_bvae.datasets.base import (
    GroundTruthData,
    as_rng,
    check_factors,
    check_keep_per_row,
)
from keras_bvae.datasets.packed import PackedBinaryImages

__all__ = ["ArrayGroundTruthData"]

# Elements of the (requests x combinations) match table built per chunk.
_CHUNK_ELEMENTS = 1 << 22


class _Uint8Images:
    """uint8 images kept as they are (a quarter of float32's memory) and
    converted per lookup: divided by 255 when any value exceeds 1."""

    def __init__(self, images: np.ndarray):
        self.array = images
        self.shape = images.shape
        big = images.size and images.max() > 1
        self.scale = np.float32(255.0 if big else 1.0)

    def __getitem__(self, rows) -> np.ndarray:
        return self.array[rows].astype(np.float32) / self.scale


def _as_float_images(images: np.ndarray):
    """Validates images and returns them as float32 (n, H, W, C) in [0, 1]
    (uint8 ones behind a ``_Uint8Images`` that converts on lookup)."""
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            "images must have shape (n, H, W) or (n, H, W, C); got "
            f"{images.shape}"
        )
    if images.dtype == bool:
        return images.astype(np.float32)
    if images.dtype == np.uint8:
        return _Uint8Images(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            "images must be float in [0, 1], uint8 or bool; got dtype "
            f"{images.dtype}"
        )
    if np.isnan(images).any():
        raise ValueError("images contain NaN")
    if images.size and (images.min() < 0 or images.max() > 1):
        bad = images.min() if images.min() < 0 else images.max()
        raise ValueError(f"float images must lie in [0, 1]; found {bad}")
    return images.astype(np.float32, copy=False)


class ArrayGroundTruthData(GroundTruthData):
    """Labelled images as ground-truth data (see the module docstring).

    Args:
        images: (n, H, W) or (n, H, W, C) array: float in [0, 1], uint8
            (0/1, or 0..255 when any value exceeds 1, then divided by 255;
            kept as uint8 and converted per lookup) or bool; or a
            ``PackedBinaryImages`` store (kept packed).
        factors: int (n, K) factor classes of each image, all >= 0.
        factor_sizes: number of classes of each factor. Defaults to the
            largest class seen plus one.
        factor_names: a name per factor. Defaults to ``factor_0`` ...

    Raises:
        ValueError: mismatched lengths, non-integer or negative classes,
            classes beyond ``factor_sizes``, bad image values or duplicate
            names; the message names the offending value.

    Example:
        >>> images = np.zeros((4, 8, 8, 1), np.float32)
        >>> factors = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> data = ArrayGroundTruthData(images, factors, factor_names="ab")
        >>> data.sample_observations_from_factors([[1, 0]]).shape
        (1, 8, 8, 1)
    """

    def __init__(
        self,
        images,
        factors,
        factor_sizes: Sequence[int] | None = None,
        factor_names: Sequence[str] | None = None,
    ):
        if isinstance(images, PackedBinaryImages):
            self._store = images
            self._images = None
            n = len(images)
            obs_shape = images.image_shape
        else:
            self._store = None
            self._images = _as_float_images(np.asarray(images))
            n = self._images.shape[0]
            obs_shape = self._images.shape[1:]
        factors = np.asarray(factors)
        if factors.ndim != 2:
            raise ValueError(
                f"factors must have shape (n, K); got {factors.shape}"
            )
        if factors.shape[0] != n:
            raise ValueError(
                f"got {n} images but {factors.shape[0]} factor rows"
            )
        if n == 0:
            raise ValueError("need at least one image")
        if factor_sizes is None:
            if not np.issubdtype(factors.dtype, np.integer):
                raise ValueError(
                    "factors must be integer classes; got dtype "
                    f"{factors.dtype}"
                )
            if factors.min() < 0:
                raise ValueError(
                    f"factor classes must be >= 0; found {factors.min()}"
                )
            factor_sizes = tuple(int(m) + 1 for m in factors.max(axis=0))
        factor_sizes = tuple(int(s) for s in factor_sizes)
        if len(factor_sizes) != factors.shape[1]:
            raise ValueError(
                f"factor_sizes has {len(factor_sizes)} entries but factors "
                f"have {factors.shape[1]} columns"
            )
        if any(s < 1 for s in factor_sizes):
            raise ValueError(f"factor_sizes must be >= 1; got {factor_sizes}")
        self._factors = check_factors(factors, factor_sizes)
        if factor_names is None:
            factor_names = [f"factor_{k}" for k in range(len(factor_sizes))]
        factor_names = tuple(str(name) for name in factor_names)
        if len(factor_names) != len(factor_sizes):
            raise ValueError(
                f"factor_names has {len(factor_names)} entries but there are "
                f"{len(factor_sizes)} factors"
            )
        if len(set(factor_names)) != len(factor_names):
            raise ValueError(f"factor_names must be unique; got {factor_names}")
        self._names = factor_names
        self._sizes = factor_sizes
        self._obs_shape = tuple(obs_shape)
        # Rows sorted by combination key, with the distinct combinations.
        keys = np.ravel_multi_index(self._factors.T, factor_sizes)
        self._order = np.argsort(keys, kind="stable")
        sorted_keys = keys[self._order]
        self._keys, self._starts, self._counts = np.unique(
            sorted_keys, return_index=True, return_counts=True
        )
        self._combos = np.stack(
            np.unravel_index(self._keys, factor_sizes), axis=1
        ).astype(np.int64)

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return self._obs_shape

    @property
    def factors(self) -> np.ndarray:
        """The factor classes of the stored images, int64 (n, K)."""
        return self._factors

    @property
    def num_images(self) -> int:
        return len(self._factors)

    @property
    def num_combinations(self) -> int:
        """Number of distinct factor combinations present."""
        return len(self._keys)

    @property
    def is_complete(self) -> bool:
        """True when every factor combination has at least one image."""
        return self.num_combinations == int(np.prod(self._sizes))

    @property
    def renders_deterministically(self) -> bool:
        """True when every combination is present exactly once."""
        return self.num_images == self.num_combinations and self.is_complete

    def rows(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Factors and stored images of ``indices`` (see GroundTruthData)."""
        indices = np.asarray(indices, dtype=np.int64)
        return self._factors[indices], self.images(indices)

    def images(self, rows) -> np.ndarray:
        """The stored images at ``rows``: float32 (len(rows), H, W, C)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._store is not None:
            return self._store.take(rows)
        return self._images[rows]

    def sample_factors(
        self, num: int, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """Draws ``num`` combinations uniformly among those present."""
        rng = as_rng(rng)
        return self._combos[rng.integers(0, len(self._combos), num)].copy()

    def rows_for_factors(
        self,
        factors,
        rng: int | np.random.Generator | None = None,
        *,
        keep: int | Sequence[int] | None = None,
        keep_per_row=None,
    ) -> np.ndarray:
        """Image rows for (m, K) factor classes by the module's rule: (m,).

        Args:
            factors: int (m, K) requested classes.
            rng: seed or Generator for the choice among candidate images.
            keep: factor index or indices kept in every row.
            keep_per_row: int (m,) factor index kept in each row, -1 for
                none; combines with ``keep``.

        Raises:
            ValueError: bad factors, a bad ``keep`` index or
                ``keep_per_row``, or no image with the requested class of a
                kept factor.
        """
        factors = check_factors(factors, self._sizes)
        rng = as_rng(rng)
        keep_idx = self._keep_indices(keep)
        if keep_per_row is not None:
            keep_per_row = check_keep_per_row(
                keep_per_row, len(factors), len(self._sizes)
            )
        keys = np.ravel_multi_index(factors.T, self._sizes)
        pos = np.searchsorted(self._keys, keys)
        pos_c = np.minimum(pos, len(self._keys) - 1)
        found = self._keys[pos_c] == keys
        combo = np.where(found, pos_c, -1)
        missing = np.flatnonzero(~found)
        if missing.size:
            keep_rows = None if keep_per_row is None else keep_per_row[missing]
            combo[missing] = self._nearest(
                factors[missing], keep_idx, keep_rows, rng
            )
        offset = (rng.random(len(combo)) * self._counts[combo]).astype(np.int64)
        return self._order[self._starts[combo] + offset]

    def _keep_indices(self, keep) -> np.ndarray:
        if keep is None:
            return np.zeros(0, np.int64)
        keep_idx = np.atleast_1d(np.asarray(keep))
        if keep_idx.ndim != 1 or not np.issubdtype(keep_idx.dtype, np.integer):
            raise ValueError(
                f"keep must be a factor index or indices; got {keep}"
            )
        bad = (keep_idx < 0) | (keep_idx >= len(self._sizes))
        if bad.any():
            raise ValueError(
                f"keep index {keep_idx[bad][0]} is not a factor index in "
                f"[0, {len(self._sizes)})"
            )
        return keep_idx.astype(np.int64)

    def _nearest(self, requests, keep_idx, keep_rows, rng) -> np.ndarray:
        """Combination index for absent requests (rule 2 of the module);
        ``keep_rows`` is None or one kept column (-1: none) per request."""
        result = np.empty(len(requests), np.int64)
        chunk = max(1, _CHUNK_ELEMENTS // len(self._combos))
        for start in range(0, len(requests), chunk):
            req = requests[start : start + chunk]
            equal = req[:, None, :] == self._combos[None, :, :]
            score = equal.sum(axis=2).astype(np.float64)
            allowed = None
            if keep_idx.size:
                allowed = equal[:, :, keep_idx].all(axis=2)
            row_keep = None
            if keep_rows is not None:
                row_keep = keep_rows[start : start + len(req)]
                if (row_keep >= 0).any():
                    # Each request's own kept column against every combo.
                    own = equal[np.arange(len(req)), :, np.maximum(row_keep, 0)]
                    own[row_keep < 0] = True
                    allowed = own if allowed is None else allowed & own
            if allowed is not None:
                if not allowed.any(axis=1).all():
                    row = int(np.flatnonzero(~allowed.any(axis=1))[0])
                    kept = list(keep_idx)
                    if row_keep is not None and row_keep[row] >= 0:
                        kept.append(row_keep[row])
                    wanted = {self._names[k]: int(req[row, k]) for k in kept}
                    raise ValueError(
                        f"no image has the kept factor class(es) {wanted}"
                    )
                score[~allowed] = -1.0
            # Uniform tie-break among the best: add noise below one match.
            score += rng.random(score.shape) * 0.5
            result[start : start + len(req)] = np.argmax(score, axis=1)
        return result

    def sample_observations_from_factors(
        self,
        factors,
        rng: int | np.random.Generator | None = None,
        *,
        keep: int | Sequence[int] | None = None,
        keep_per_row=None,
    ) -> np.ndarray:
        """Images for (m, K) factor classes: float32 (m, H, W, C).

        Args:
            factors: int (m, K) requested classes.
            rng: seed or Generator for the choice among candidate images.
            keep: factor index or indices whose requested class the image
                must have even when the exact combination is absent.
            keep_per_row: int (m,) factor index kept in each row, -1 for
                none; combines with ``keep``.
        """
        rows = self.rows_for_factors(
            factors, rng, keep=keep, keep_per_row=keep_per_row
        )
        return self.images(rows)

    def sample_observations_keeping(
        self,
        factors,
        keep_per_row,
        rng: int | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Images whose row i has the requested class of factor
        ``keep_per_row[i]`` (-1: none) even when the exact combination is
        absent (rule 2 of the module): float32 (m, H, W, C).

        Raises:
            ValueError: a bad ``keep_per_row``, or no image with the
                requested class of a kept factor.
        """
        return self.sample_observations_from_factors(
            factors, rng, keep_per_row=keep_per_row
        )
