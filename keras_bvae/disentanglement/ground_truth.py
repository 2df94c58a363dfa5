"""``as_ground_truth``: the one door through which data reaches the metrics.

The metrics need five members of a data set (``factor_names``,
``factor_sizes``, ``observation_shape``, ``sample_factors(n, rng)``,
``sample_observations_from_factors(factors, rng)``), and
``sample_observations_keeping`` where it exists. ``as_ground_truth`` accepts

- a ``keras_bvae.datasets.GroundTruthData``, returned as it is;
- any object with those members, without subclassing (duck typing);
  ``sample_factors`` and ``sample_observations_keeping`` are optional;
- an object written for disentanglement_lib (Locatello et al., ICML 2019):
  ``num_factors``, ``factors_num_values``, ``observation_shape``,
  ``sample_factors(num, random_state)`` and
  ``sample_observations_from_factors(factors, random_state)``, which take a
  ``np.random.RandomState``;

and refuses anything else with an error that lists the missing members.
Data without factors (unlabelled images: ``ImageFolder``, ``TfdsImages``)
is refused with ``UnlabelledDataError``: every metric here compares codes
with factor labels; unlabelled data is ranked with the label-free UDR
(``keras_bvae.disentanglement.udr``) instead.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from keras_bvae.datasets.base import (
    GroundTruthData,
    as_rng,
    check_factors,
    check_keep_per_row,
)

__all__ = ["DataLike", "UnlabelledDataError", "as_ground_truth"]

# A GroundTruthData, an object with its members, or a disentanglement_lib
# data object: anything ``as_ground_truth`` accepts.
DataLike = Any

_OURS = (
    "factor_names",
    "factor_sizes",
    "observation_shape",
    "sample_observations_from_factors",
)
_THEIRS = (
    "factors_num_values",
    "observation_shape",
    "sample_factors",
    "sample_observations_from_factors",
)


class UnlabelledDataError(ValueError):
    """The data has no ground-truth factors, so no metric can score it."""


def _unlabelled_message(data) -> str:
    return (
        f"{type(data).__name__} has no ground-truth factors (unlabelled "
        "images), and the supervised disentanglement metrics (beta_vae, "
        "factor_vae, mig, dci, sap, modularity) compare the codes with "
        "factor labels. Unlabelled data is scored by the label-free "
        "'unsupervised' metric and ranked by UDR "
        "(keras_bvae.disentanglement.udr; keras-bvae sweep adds a udr "
        "column over seeds); or give the images labels "
        "(ImageFolder(labels=True): the subfolder as a factor)"
    )


def _missing(obj, names) -> list[str]:
    return [name for name in names if not hasattr(obj, name)]


class _Adapted(GroundTruthData):
    """Shared part of the adapters: names and sizes resolved once, the
    observation shape read from the wrapped object ``base``."""

    base: object
    _names: tuple[str, ...]
    _sizes: tuple[int, ...]

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return tuple(self.base.observation_shape)


class _DuckTypedData(_Adapted):
    """Adapts an object with GroundTruthData's members but not its class."""

    def __init__(self, base):
        self.base = base
        self._sizes = tuple(int(s) for s in base.factor_sizes)
        self._names = tuple(str(n) for n in base.factor_names)
        if len(self._names) != len(self._sizes) or not self._sizes:
            raise ValueError(
                f"{type(base).__name__} has {len(self._names)} factor_names "
                f"and {len(self._sizes)} factor_sizes; they must be equal "
                "in number and at least one"
            )
        self._warned = False

    def sample_factors(self, num, rng=None) -> np.ndarray:
        if not hasattr(self.base, "sample_factors"):
            return super().sample_factors(num, rng)
        factors = self.base.sample_factors(num, as_rng(rng))
        return check_factors(factors, self._sizes)

    def sample_observations_from_factors(self, factors, rng=None):
        return np.asarray(
            self.base.sample_observations_from_factors(factors, as_rng(rng))
        )

    def sample_observations_keeping(self, factors, keep_per_row, rng=None):
        if hasattr(self.base, "sample_observations_keeping"):
            return np.asarray(
                self.base.sample_observations_keeping(
                    factors, keep_per_row, as_rng(rng)
                )
            )
        if getattr(self.base, "is_complete", True) is False and not (
            self._warned
        ):
            self._warned = True
            warnings.warn(
                f"{type(self.base).__name__} reports is_complete False but "
                "has no sample_observations_keeping: the factor a metric "
                "holds fixed is kept only where the requested combination "
                "exists",
                stacklevel=2,
            )
        check_keep_per_row(keep_per_row, len(factors), self.num_factors)
        return self.sample_observations_from_factors(factors, rng)


class _RandomStateData(_Adapted):
    """Adapts a disentanglement_lib ``GroundTruthData`` (RandomState API).

    Each call draws a fresh 32-bit seed for a ``np.random.RandomState`` from
    the metric's Generator, so results stay reproducible for a seed.
    """

    def __init__(self, base):
        self.base = base
        self._sizes = tuple(int(s) for s in base.factors_num_values)
        if not self._sizes:
            raise ValueError(
                f"{type(base).__name__}.factors_num_values is empty"
            )
        num = getattr(base, "num_factors", len(self._sizes))
        if int(num) != len(self._sizes):
            raise ValueError(
                f"{type(base).__name__} has num_factors {num} but "
                f"{len(self._sizes)} factors_num_values"
            )
        names = getattr(base, "factor_names", None)
        self._names = (
            tuple(str(n) for n in names)
            if names is not None and len(names) == len(self._sizes)
            else tuple(f"factor_{k}" for k in range(len(self._sizes)))
        )

    @staticmethod
    def _random_state(rng) -> np.random.RandomState:
        return np.random.RandomState(int(as_rng(rng).integers(2**32)))

    def sample_factors(self, num, rng=None) -> np.ndarray:
        factors = self.base.sample_factors(int(num), self._random_state(rng))
        return check_factors(factors, self._sizes)

    def sample_observations_from_factors(self, factors, rng=None):
        factors = check_factors(factors, self._sizes)
        return np.asarray(
            self.base.sample_observations_from_factors(
                factors, self._random_state(rng)
            )
        )


def as_ground_truth(
    data: DataLike, need_factors: bool = True
) -> GroundTruthData:
    """The data set as a ``GroundTruthData``, adapting other interfaces.

    Every metric and ``evaluate`` call this first, so a plain class with the
    five members of the interface (no subclassing) or a data object written
    for disentanglement_lib works wherever a ``GroundTruthData`` does.
    Metrics that hold a factor fixed use the object's own
    ``sample_observations_keeping`` when it has one and otherwise its plain
    sampler, which keeps the factor wherever the data renders every
    combination exactly (a warning says so when the object reports
    ``is_complete`` False).

    Args:
        data: a ``GroundTruthData``; an object with ``factor_names``,
            ``factor_sizes``, ``observation_shape`` and
            ``sample_observations_from_factors(factors, rng)`` (and
            optionally ``sample_factors(n, rng)``, uniform otherwise, and
            ``sample_observations_keeping``), called with a
            ``np.random.Generator``; or a disentanglement_lib-style object
            with ``factors_num_values``, ``observation_shape``,
            ``sample_factors(num, random_state)`` and
            ``sample_observations_from_factors(factors, random_state)``,
            called with a ``np.random.RandomState`` (factor names
            ``factor_0``... unless it has ``factor_names``).
        need_factors: bool. Refuse data without factors. False for
            label-free scores, which only sample images. Defaults to True.

    Returns:
        ``data`` itself if it is a ``GroundTruthData``, else an adapter that
        delegates every call to it and checks the factors it returns.

    Raises:
        UnlabelledDataError: ``data`` has no factors (a ValueError).
        ValueError: ``data`` fits neither interface; the message names the
            members it lacks for each.

    Example:
    ```python
    class Squares:  # no base class
        factor_names = ("size",)
        factor_sizes = (8,)
        observation_shape = (16, 16, 1)

        def sample_factors(self, n, rng):
            return rng.integers(0, 8, size=(n, 1))

        def sample_observations_from_factors(self, factors, rng):
            ...  # (n, 16, 16, 1) float32 images

    result = disentanglement.mig(Squares(), model.encode)  # adapted inside
    ```
    """
    if isinstance(data, GroundTruthData):
        if need_factors and data.num_factors == 0:
            raise UnlabelledDataError(_unlabelled_message(data))
        return data
    ours = _missing(data, _OURS)
    if need_factors and not ours and not len(data.factor_sizes):
        raise UnlabelledDataError(_unlabelled_message(data))
    if not ours:
        return _DuckTypedData(data)
    theirs = _missing(data, _THEIRS)
    if not theirs:
        return _RandomStateData(data)
    raise ValueError(
        "data must be a GroundTruthData or have its members; "
        f"{type(data).__name__} lacks {', '.join(ours)} (and, as a "
        f"disentanglement_lib-style data object, {', '.join(theirs)})"
    )
