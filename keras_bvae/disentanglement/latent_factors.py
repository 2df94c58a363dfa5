"""Which factor each latent carries: the latent x factor NMI matrix.

The quantity is the one behind the Mutual Information Gap (Chen et al.,
NeurIPS 2018): encode N samples, discretise every code dimension into
``num_bins`` equal-width bins, estimate I(z_j; v_k) from the joint
histogram and divide by the factor's entropy H(v_k). The normalised mutual
information

    NMI[j, k] = I(z_j; v_k) / H(v_k)

is 1 when latent j determines factor k and 0 when it says nothing about
it. MIG keeps only the gap between the two best latents of each factor;
here the whole matrix is kept and read row by row, so each latent is
labelled with the factor it carries most ("z3: orientation, NMI 0.41"), as
in the traversal figures of Higgins et al. (ICLR 2017) and Burgess et al.
(2018), whose rows are named by the factor they move.

The binning caps the values: a factor with more classes than bins cannot
be resolved fully (with 20 bins the true dSprites positions score about
0.9), so compare NMIs at the same ``num_bins``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_bvae.datasets.base import GroundTruthData, as_rng
from keras_bvae.disentanglement import _utils, progress

__all__ = ["factor_nmi_by_value", "label_latents", "latent_label"]


def latent_label(
    index: int,
    nmi_row: np.ndarray,
    factor_names: Sequence[str],
    *,
    active: bool = True,
    min_nmi: float = 0.1,
) -> tuple[str | None, str]:
    """The factor a latent carries and its row label.

    Args:
        index: int. The latent's index j (the label starts ``z{j}``).
        nmi_row: (K,) array. NMI of this latent with each factor.
        factor_names: the K factor names.
        active: bool. False for a latent the model does not use (KL near
            0): it is labelled ``inactive`` whatever its NMI.
        min_nmi: float. Smallest NMI that assigns a factor. Defaults to 0.1.

    Returns:
        ``(factor, label)``: the assigned factor name or None, and the label,
        e.g. ``"z3: orientation, NMI 0.41"``, ``"z3: pos_x, NMI 0.52 (+scale
        0.13)"`` when a second factor also reaches ``min_nmi``,
        ``"z3: unassigned (best shape, NMI 0.04)"`` or ``"z3: inactive"``.

    Example:
        >>> latent_label(3, np.array([0.05, 0.41]), ["scale", "orientation"])
        ('orientation', 'z3: orientation, NMI 0.41')
    """
    if not active:
        return None, f"z{index}: inactive"
    row = np.asarray(nmi_row, dtype=np.float64)
    order = np.argsort(-row, kind="stable")
    best = int(order[0])
    if row[best] < min_nmi:
        return None, (
            f"z{index}: unassigned (best {factor_names[best]}, "
            f"NMI {row[best]:.2f})"
        )
    label = f"z{index}: {factor_names[best]}, NMI {row[best]:.2f}"
    if len(order) > 1 and row[order[1]] >= min_nmi:
        second = int(order[1])
        label += f" (+{factor_names[second]} {row[second]:.2f})"
    return factor_names[best], label


def label_latents(
    data: GroundTruthData,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    num_samples: int = 10000,
    num_bins: int = 20,
    min_nmi: float = 0.1,
    active: Sequence[bool] | None = None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """The latent x factor NMI matrix and a factor label for every latent.

    Args:
        data: GroundTruthData. The ground-truth data set that renders images.
        representation_fn: callable. numpy images (n, ...) -> codes (n, M),
            e.g. ``model.encode`` (the posterior means).
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        num_samples: int. Number of sampled factor vectors and images.
            Defaults to 10000 (as MIG under the full protocol).
        num_bins: int. Equal-width bins per code dimension. Defaults to 20
            (as MIG).
        min_nmi: float. A latent whose best NMI is below this carries no
            factor and is labelled ``unassigned``. Defaults to 0.1.
        active: optional (M,) booleans, False for latents the model does not
            use (for a VAE: average KL below 0.1 nats); those are labelled
            ``inactive``, since the means of a collapsed latent only hold
            noise. Defaults to all active.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with
        ``nmi``: float (M, K) array, I(z_j; v_k) / H(v_k);
        ``factors``: per latent, the factor name it carries or None;
        ``labels``: per latent, e.g. ``"z3: orientation, NMI 0.41"`` (see
        ``latent_label``);
        ``best_latent``: per factor name, ``(j, NMI)`` of the latent that
        carries it most;
        ``factor_names``, ``skipped_factors`` (factors with a single sampled
        class: zero entropy, NMI set to 0) and the settings and seed used.

    Raises:
        ValueError: bad counts, ``active`` of the wrong length, or every
            factor with a single sampled class.

    Example:
    ```python
    from keras_bvae import datasets
    from keras_bvae.disentanglement.latent_factors import label_latents

    result = label_latents(datasets.DSpritesSimulator(), model.encode)
    print("\\n".join(result["labels"]))    # z0: pos_x, NMI 0.78 ...
    ```

    Reference: R. T. Q. Chen et al., "Isolating Sources of Disentanglement
    in Variational Autoencoders", NeurIPS 2018 (the MI estimate of MIG).
    """
    num_samples = _utils.check_count("num_samples", num_samples)
    num_bins = _utils.check_count("num_bins", num_bins)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    min_nmi = float(min_nmi)
    rng = as_rng(seed)
    progress.expect("images", num_samples)
    factors, codes = _utils.sample_codes(
        data, representation_fn, num_samples, rng, encode_batch_size
    )
    num_latents = codes.shape[1]
    if active is None:
        active = np.ones(num_latents, dtype=bool)
    active = np.asarray(active, dtype=bool).reshape(-1)
    if active.shape != (num_latents,):
        raise ValueError(
            f"active must have one entry per latent ({num_latents}); got "
            f"{active.shape[0]}"
        )
    names = list(data.factor_names)
    h = np.array([_utils.entropy(factors[:, k]) for k in range(len(names))])
    kept = h > 0
    if not kept.any():
        raise ValueError(
            f"all factors {names} took a single value in {num_samples} samples"
        )
    mi = _utils.mutual_information_matrix(
        _utils.discretize(codes, num_bins), factors
    )
    nmi = np.zeros_like(mi)
    nmi[:, kept] = mi[:, kept] / h[kept]
    assigned, labels = [], []
    for j in range(num_latents):
        factor, label = latent_label(
            j, nmi[j], names, active=bool(active[j]), min_nmi=min_nmi
        )
        assigned.append(factor)
        labels.append(label)
    usable = np.where(active[:, None], nmi, -np.inf)
    best_latent = {}
    for k, name in enumerate(names):
        if kept[k] and active.any():
            j = int(np.argmax(usable[:, k]))
            best_latent[name] = (j, float(nmi[j, k]))
    return {
        "nmi": nmi,
        "factors": assigned,
        "labels": labels,
        "best_latent": best_latent,
        "factor_names": names,
        "skipped_factors": [n for n, keep in zip(names, kept) if not keep],
        "active": active.tolist(),
        "seed": _utils.seed_record(seed),
        "num_samples": num_samples,
        "num_bins": num_bins,
        "min_nmi": min_nmi,
        "encode_batch_size": encode_batch_size,
    }


def factor_nmi_by_value(
    data: GroundTruthData,
    representation_fn: _utils.RepresentationFn,
    factor: str = "orientation",
    by: str = "shape",
    *,
    seed: int | np.random.Generator | None = 0,
    num_samples: int = 10000,
    num_bins: int = 20,
    encode_batch_size: int = 4096,
) -> np.ndarray:
    """Each latent's NMI with ``factor`` among images whose ``by`` factor
    is held at one value, for each of its values.

    On dSprites, a latent that codes orientation differently for each
    shape scores low on orientation over all shapes; with the shape held
    fixed it does not. The shapes' symmetries still cap the NMI: of the 40
    orientations in [0, 2 pi), a square shows 10 different images (it
    repeats every 90 degrees) and an ellipse 20, so the most a latent can
    reach is ln 10 / ln 40 = 0.62 for the square and ln 20 / ln 40 = 0.81
    for the ellipse; with 20 bins, 0.81 for the heart too.

    Args:
        data: GroundTruthData. The ground-truth data set that renders images.
        representation_fn: callable. numpy images (n, ...) -> codes (n, M).
        factor: str. The factor whose NMI is measured.
        by: str. The factor held fixed, at each of its values in turn.
        seed: int, Generator or None. Source of all randomness. Defaults
            to 0.
        num_samples: int. Images per value of ``by``. Defaults to 10000.
        num_bins: int. Equal-width bins per code dimension (as MIG).
        encode_batch_size: int. Images per rendering and encoding call.

    Returns:
        float (V, M) array: row v holds each latent's I(z_j; factor) /
        H(factor) among images with ``by`` = v.

    Example:
    ```python
    nmi = factor_nmi_by_value(DSpritesSimulator(), model.encode)
    print(nmi.max(axis=1))  # best latent per shape: square, ellipse, heart
    ```
    """
    names = list(data.factor_names)
    for name in (factor, by):
        if name not in names:
            raise ValueError(f"unknown factor {name!r}; the data has {names}")
    k, b = names.index(factor), names.index(by)
    num_samples = _utils.check_count("num_samples", num_samples)
    rng = as_rng(seed)
    rows = []
    for value in range(int(data.factor_sizes[b])):
        factors = data.sample_factors(num_samples, rng)
        factors[:, b] = value
        codes = _utils.render_and_encode(
            data, representation_fn, factors, rng, encode_batch_size
        )
        mi = _utils.mutual_information_matrix(
            _utils.discretize(codes, num_bins), factors[:, k : k + 1]
        )
        rows.append(mi[:, 0] / _utils.entropy(factors[:, k]))
    return np.stack(rows)
