"""Shared helpers for the disentanglement metrics (numpy only).

Entropies and mutual information use natural logarithms; every metric that
reports them normalises by an entropy, so the base cancels.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.base import clone

from keras_bvae.datasets.base import GroundTruthData, as_rng
from keras_bvae.disentanglement import progress

__all__ = [
    "RepresentationFn",
    "check_count",
    "seeded_clone",
    "seed_record",
    "resolve_factors",
    "encode",
    "child_rng",
    "render_and_encode",
    "stream_codes",
    "sample_codes",
    "sample_train_test_codes",
    "discretize",
    "entropy",
    "mutual_information_matrix",
]

RepresentationFn = Callable[[np.ndarray], np.ndarray]


def check_count(name: str, value, minimum: int = 1) -> int:
    """Returns ``value`` as int, or raises ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def available_cores() -> int:
    """The number of CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def seeded_clone(estimator, rng: np.random.Generator):
    """An unfitted copy of a scikit-learn estimator whose unset
    ``random_state`` parameters (also nested ones, e.g. in a Pipeline) are
    drawn from ``rng``, so that fitting it is reproducible."""
    model = clone(estimator)
    params = model.get_params(deep=True)
    unset = {
        key: int(rng.integers(2**31 - 1))
        for key in sorted(params)
        if (key == "random_state" or key.endswith("__random_state"))
        and params[key] is None
    }
    if unset:
        model.set_params(**unset)
    return model


def seed_record(seed) -> int | str | None:
    """What to store as the seed of a result dict."""
    if isinstance(seed, np.random.Generator):
        return "generator"
    if seed is None:
        return None
    return int(seed)


def resolve_factors(
    data: GroundTruthData, factors: Sequence[int | str] | None
) -> np.ndarray:
    """Maps a factor subset (indices or names; None = all) to int indices."""
    if factors is None:
        return np.arange(data.num_factors)
    if isinstance(factors, (str, int, np.integer)):
        factors = [factors]
    names = list(data.factor_names)
    out = []
    for f in factors:
        if isinstance(f, str):
            if f not in names:
                raise ValueError(
                    f"unknown factor {f!r}; the data set has {names}"
                )
            out.append(names.index(f))
        elif isinstance(f, (int, np.integer)) and not isinstance(f, bool):
            if not 0 <= f < data.num_factors:
                raise ValueError(
                    f"factor index {f} out of range [0, {data.num_factors})"
                )
            out.append(int(f))
        else:
            raise ValueError(f"factors must be names or indices; got {f!r}")
    if not out:
        raise ValueError("factors must name at least one factor; got []")
    if len(set(out)) != len(out):
        raise ValueError(f"factors contains duplicates: {list(factors)}")
    return np.asarray(out, dtype=np.int64)


def _check_codes(codes, num: int) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.ndim != 2 or arr.shape[0] != num:
        raise ValueError(
            "representation_fn must return an array of shape (n, D) for n "
            f"input images; got shape {arr.shape} for n={num}"
        )
    if arr.shape[1] < 1:
        raise ValueError(f"representation has no dimensions: {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"representation_fn returned non-numeric dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            "representation_fn returned a non-finite value "
            f"{arr[tuple(bad)]} at (row, dim) {tuple(int(i) for i in bad)}"
        )
    return arr


def encode(
    representation_fn: RepresentationFn, images: np.ndarray, batch_size: int
) -> np.ndarray:
    """Applies ``representation_fn`` in batches; float64 (n, D) codes."""
    n = len(images)
    if n <= batch_size:
        return _check_codes(representation_fn(images), n)
    parts = []
    for start in range(0, n, batch_size):
        chunk = images[start : start + batch_size]
        parts.append(_check_codes(representation_fn(chunk), len(chunk)))
    dims = {p.shape[1] for p in parts}
    if len(dims) != 1:
        raise ValueError(
            f"representation_fn returned differing code sizes {sorted(dims)}"
        )
    return np.concatenate(parts, axis=0)


def _render(
    data: GroundTruthData, chunk, rng: np.random.Generator
) -> np.ndarray:
    """Images of one chunk: a factor array, or ``(factors, keep_per_row)``."""
    if isinstance(chunk, tuple):
        factors, keep_per_row = chunk
        return data.sample_observations_keeping(factors, keep_per_row, rng)
    return data.sample_observations_from_factors(chunk, rng)


def stream_codes(
    data: GroundTruthData,
    representation_fn: RepresentationFn,
    factor_chunks: Iterable[np.ndarray | tuple[np.ndarray, np.ndarray]],
    render_rng: np.random.Generator,
    batch_size: int,
) -> Iterator[np.ndarray]:
    """Renders and encodes each chunk of factors, yielding its codes.

    A chunk is an (m, K) factor array, rendered by
    ``data.sample_observations_from_factors``, or a tuple ``(factors,
    keep_per_row)``, rendered by ``data.sample_observations_keeping`` so
    that row i keeps its class of factor ``keep_per_row[i]`` on a data set
    that lacks some combinations (metrics that hold a factor fixed).

    While one chunk is encoded, a background thread renders the next, so
    rendering overlaps encoding wherever a core (or the GPU) is free. The
    chunks are drawn from ``factor_chunks`` in this thread and rendered in
    order by one worker that alone uses ``render_rng``, so results stay
    reproducible; pass a generator that nothing else draws from meanwhile.
    """
    num_dims = None
    progress.start("images")
    with ThreadPoolExecutor(max_workers=1) as pool:
        chunks = iter(factor_chunks)
        current = next(chunks, None)
        if current is None:
            return
        pending = pool.submit(_render, data, current, render_rng)
        while pending is not None:
            upcoming = next(chunks, None)
            images = pending.result()
            pending = (
                None
                if upcoming is None
                else pool.submit(_render, data, upcoming, render_rng)
            )
            codes = encode(representation_fn, images, batch_size)
            del images
            progress.advance("images", len(codes))
            if num_dims is None:
                num_dims = codes.shape[1]
            elif codes.shape[1] != num_dims:
                raise ValueError(
                    "representation_fn returned differing code sizes "
                    f"{num_dims} and {codes.shape[1]}"
                )
            yield codes


def child_rng(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator seeded from ``rng`` (for rendering)."""
    return np.random.default_rng(rng.integers(2**63 - 1))


def render_and_encode(
    data: GroundTruthData,
    representation_fn: RepresentationFn,
    factors: np.ndarray,
    rng: np.random.Generator,
    batch_size: int,
) -> np.ndarray:
    """Renders ``factors`` and encodes them, ``batch_size`` images at a time
    (rendering of the next batch overlapping encoding of this one)."""
    chunks = (
        factors[start : start + batch_size]
        for start in range(0, len(factors), batch_size)
    )
    return np.concatenate(
        list(stream_codes(data, representation_fn, chunks, rng, batch_size))
    )


def sample_codes(
    data: GroundTruthData,
    representation_fn: RepresentationFn,
    num: int,
    rng: int | np.random.Generator | None,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws ``num`` factor vectors and their codes: ``(factors, codes)``."""
    rng = as_rng(rng)
    factors = data.sample_factors(num, rng)
    codes = render_and_encode(data, representation_fn, factors, rng, batch_size)
    return factors, codes


def sample_train_test_codes(
    data: GroundTruthData,
    representation_fn: RepresentationFn,
    num_train: int,
    num_test: int,
    rng: np.random.Generator,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A training and a held-out sample, drawn in that order from ``rng``:
    ``(v_train, z_train, v_test, z_test)``. Announces the images to the
    progress display and checks both codes have the same width."""
    progress.expect("images", num_train + num_test)
    v_train, z_train = sample_codes(
        data, representation_fn, num_train, rng, batch_size
    )
    v_test, z_test = sample_codes(
        data, representation_fn, num_test, rng, batch_size
    )
    if z_train.shape[1] != z_test.shape[1]:
        raise ValueError(
            f"representation_fn returned {z_train.shape[1]} and then "
            f"{z_test.shape[1]} dimensions"
        )
    return v_train, z_train, v_test, z_test


def discretize(codes: np.ndarray, num_bins: int) -> np.ndarray:
    """Bins each column into ``num_bins`` equal-width bins over its range.

    Returns int64 bin indices in ``[0, num_bins)``. A constant column falls
    into a single bin.
    """
    out = np.empty(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, j], bins=num_bins)
        out[:, j] = np.digitize(codes[:, j], edges[1:-1])
    return out


def entropy(labels: np.ndarray) -> float:
    """Empirical entropy H(x) (nats) of a vector of integer labels."""
    counts = np.bincount(labels - labels.min())
    p = counts[counts > 0] / len(labels)
    return float(-(p * np.log(p)).sum())


def _mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    a = np.unique(a, return_inverse=True)[1]
    b = np.unique(b, return_inverse=True)[1]
    na, nb = a.max() + 1, b.max() + 1
    joint = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb)
    p = joint / len(a)
    pa = p.sum(axis=1, keepdims=True)
    pb = p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / (pa @ pb)[nz])).sum())


def mutual_information_matrix(
    codes: np.ndarray, factors: np.ndarray
) -> np.ndarray:
    """Empirical I(code_i; factor_k) in nats for discrete columns: (D, K)."""
    out = np.empty((codes.shape[1], factors.shape[1]))
    for i in range(codes.shape[1]):
        for k in range(factors.shape[1]):
            out[i, k] = _mutual_information(codes[:, i], factors[:, k])
    return out


def check_samples(
    codes, factors, factor_names: Sequence[str] | None = None, what="codes"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Codes (n, D) and discrete factor labels (n, K) given as arrays (any
    framework's, through ``np.asarray``), checked: ``(codes, factors,
    names)``, names defaulting to "factor_0", ...

    Raises:
        ValueError: wrong shapes, different n, non-finite codes, or
            factor labels that are not integers.
    """
    codes = np.asarray(codes)
    if codes.dtype.kind not in "fiu":
        codes = codes.astype(np.float64)
    factors = np.asarray(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError(
            f"{what} must be (n, D) and factors (n, K) with the same n; got "
            f"shapes {codes.shape} and {factors.shape}"
        )
    if len(codes) < 1 or codes.shape[1] < 1 or factors.shape[1] < 1:
        raise ValueError(
            f"{what} and factors must be non-empty; got shapes "
            f"{codes.shape} and {factors.shape}"
        )
    if not np.all(np.isfinite(codes)):
        raise ValueError(f"{what} hold NaN or inf values")
    if factors.dtype.kind == "f":
        if not np.all(factors == np.round(factors)):
            raise ValueError(
                "factors must be discrete class labels (integers); got "
                "fractional values"
            )
        factors = factors.astype(np.int64)
    if factor_names is None:
        factor_names = [f"factor_{k}" for k in range(factors.shape[1])]
    factor_names = [str(n) for n in factor_names]
    if len(factor_names) != factors.shape[1]:
        raise ValueError(
            f"factor_names has {len(factor_names)} names for "
            f"{factors.shape[1]} factors"
        )
    return codes, factors, factor_names


def check_train_test_samples(
    train_codes,
    train_factors,
    test_codes,
    test_factors,
    factor_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``check_samples`` of a train and a test split with the same code
    size and factors: ``(z_train, v_train, z_test, v_test, names)``."""
    z_train, v_train, names = check_samples(
        train_codes, train_factors, factor_names, "train_codes"
    )
    z_test, v_test, _ = check_samples(
        test_codes, test_factors, names, "test_codes"
    )
    if z_test.shape[1] != z_train.shape[1]:
        raise ValueError(
            f"test_codes have {z_test.shape[1]} dimensions, train_codes "
            f"{z_train.shape[1]}"
        )
    return z_train, v_train, z_test, v_test, names
