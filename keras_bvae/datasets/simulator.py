"""A procedural dSprites simulator with the real data's factors and layout.

dSprites (Matthey et al. 2017) holds every combination of five factors once:
shape (square, ellipse, heart), scale ``linspace(0.5, 1, 6)``, orientation
``linspace(0, 2 pi, 40)`` and position x, y ``linspace(0, 1, 32)``, as binary
64x64 images; N = 3 * 6 * 40 * 32 * 32 = 737,280. The image with factor
classes ``c`` sits at row ``dot(c, [245760, 40960, 1024, 32, 1])`` (posY
varies fastest; the constant colour column of the real file is left out, as
tensorflow-datasets does).

Rendering. A pixel (row i, column j) has its centre at ``p = (j + 0.5,
i + 0.5)``. The sprite's reference point sits at ``c = 16 + 32 * pos``
(x from pos_x, y from pos_y), so it moves from 16 to 48 px. The pixel is on
when ``R(-theta) (p - c) / scale`` lies inside the shape at scale 1, where
``R(theta)`` turns counter-clockwise as seen on screen (rows growing
downwards). The shapes at scale 1, in pixels:

* square: half side 9.6 (side 19.2);
* ellipse: semi-axes 12.75 (horizontal at orientation 0) and 7.25;
* heart: point down at orientation 0; its outline is a radius per degree of
  direction from the reference point (``_HEART_RADII``).

These numbers were fitted to the 320 real 64x64 frames of the data set's own
animation (``dsprites.gif``: the heart at six scales, 40 orientations and 128
positions, the ellipse and square at six scales and 40 orientations; 266
images with known factors), which this rule reproduces to 0.2 (square), 1.1
(ellipse) and 1.2 (heart) wrong pixels per image on average, out of about
370, 290 and 220 lit pixels at scale 1.

For speed each shape is rasterised once on a fine canonical grid (1/32 px at
scale 1) and every image pixel reads the grid cell its centre falls in, which
moves a boundary by at most 1/64 px.

Reference:
    Matthey, Higgins, Hassabis, Lerchner (2017). dSprites: Disentanglement
    testing Sprites dataset. https://github.com/deepmind/dsprites-dataset
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence

import numpy as np

from keras_bvae.datasets.base import GroundTruthData, as_rng, check_factors
from keras_bvae.datasets.dsprites_variants import (
    check_variant,
    colorize,
    num_channels,
)
from keras_bvae.datasets.packed import PackedBinaryImages

__all__ = [
    "DSpritesSimulator",
    "FACTOR_NAMES",
    "FACTOR_SIZES",
    "FACTOR_STRIDES",
    "FACTOR_VALUES",
    "NUM_IMAGES",
    "LATENTS_NAMES",
    "LATENTS_SIZES",
]

FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
FACTOR_STRIDES = (245760, 40960, 1024, 32, 1)
NUM_IMAGES = 737280
# The real data's real-valued grids (``latents_values`` columns 1..5).
FACTOR_VALUES = (
    np.array([1.0, 2.0, 3.0]),
    np.linspace(0.5, 1.0, 6),
    np.linspace(0.0, 2.0 * np.pi, 40),
    np.linspace(0.0, 1.0, 32),
    np.linspace(0.0, 1.0, 32),
)
# The real files' six latent columns: colour (always 1.0) first.
LATENTS_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
LATENTS_SIZES = (1,) + FACTOR_SIZES

_IMAGE_SIZE = 64
# Seeds the variants' per-image draws in ``rows`` together with the rows.
_ROWS_SEED = 0x5D
_SQUARE_HALF_SIDE = 9.6
_ELLIPSE_AXES = (12.75, 7.25)
# Heart outline: distance from the reference point to the edge at scale 1,
# for the directions (k + 0.5) degrees, k = -90 .. 89, measured from the
# +x axis towards +y (down on screen): from straight up (the notch) through
# right to straight down (the point). The left half is the mirror image.
_HEART_RADII = np.array(
    """
    5.45 5.66 5.95 6.22 6.50 6.81 7.09 7.29 7.52 7.78 8.03 8.24 8.40 8.56
    8.77 9.00 9.19 9.32 9.42 9.59 9.77 9.90 10.04 10.17 10.27 10.35 10.44
    10.53 10.61 10.67 10.77 10.88 10.93 10.97 10.99 11.03 11.09 11.14 11.17
    11.20 11.21 11.24 11.26 11.24 11.22 11.22 11.24 11.26 11.26 11.24 11.21
    11.18 11.15 11.15 11.15 11.11 11.04 10.99 10.95 10.90 10.84 10.82 10.87
    10.88 10.72 10.56 10.47 10.41 10.33 10.23 10.17 10.12 10.00 9.85 9.73
    9.61 9.52 9.40 9.28 9.21 9.13 9.05 8.95 8.82 8.72 8.63 8.51 8.41 8.31
    8.18 8.08 8.00 7.90 7.81 7.74 7.65 7.54 7.42 7.29 7.20 7.13 7.11 7.07
    6.99 6.90 6.84 6.79 6.72 6.65 6.61 6.60 6.54 6.48 6.46 6.44 6.36 6.31
    6.28 6.22 6.18 6.18 6.14 6.08 6.03 5.98 6.02 6.06 6.01 6.00 6.02 5.92
    5.81 5.82 5.86 5.89 5.89 5.86 5.82 5.81 5.91 6.01 6.00 6.00 6.02 5.93
    5.87 5.90 6.01 6.13 6.17 6.15 6.09 6.07 6.17 6.26 6.29 6.30 6.33 6.36
    6.38 6.48 6.58 6.63 6.70 6.80 6.90 7.01 7.09 7.12 7.15 7.30 7.53 7.72
    7.89 8.09 8.27 8.46 8.71 9.03 9.29
    """.split(),
    dtype=np.float64,
)
_MAX_RADIUS = _SQUARE_HALF_SIDE * np.sqrt(2.0)  # largest of the three shapes
# Canonical grid: cells of 1/32 px at scale 1, covering [-_EXTENT, _EXTENT]
# (28 > sqrt(2) * 9.5 / 0.5, the farthest a window pixel can map to).
_CELLS_PER_PX = 32
_EXTENT = 28.0
_GRID = int(2 * _EXTENT * _CELLS_PER_PX)


def _heart_inside(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """True where (u, v) (v down) lies inside the scale-1 heart."""
    angle = np.degrees(np.arctan2(v, np.abs(u)))  # mirror onto the right half
    directions = np.arange(-90, 90) + 0.5
    radius = np.interp(
        angle,
        np.concatenate([[-90.0], directions, [90.0]]),
        np.concatenate([_HEART_RADII[:1], _HEART_RADII, _HEART_RADII[-1:]]),
    )
    return np.hypot(u, v) <= radius


def _canonical_masks(rows_per_block: int = 128) -> np.ndarray:
    """uint8 (3, G, G): the three shapes at scale 1 on the canonical grid."""
    centres = (np.arange(_GRID) + 0.5) / _CELLS_PER_PX - _EXTENT
    masks = np.empty((3, _GRID, _GRID), np.uint8)
    a, b = _ELLIPSE_AXES
    for start in range(0, _GRID, rows_per_block):  # blocks bound the memory
        block = slice(start, start + rows_per_block)
        u, v = np.meshgrid(centres, centres[block])  # v down the rows
        masks[0, block] = np.maximum(np.abs(u), np.abs(v)) <= _SQUARE_HALF_SIDE
        masks[1, block] = (u / a) ** 2 + (v / b) ** 2 <= 1.0
        masks[2, block] = _heart_inside(u, v)
    return masks


_MASKS: np.ndarray | None = None


def _masks() -> np.ndarray:
    global _MASKS
    if _MASKS is None:
        _MASKS = _canonical_masks().reshape(3, -1)
    return _MASKS


def _window_size(scale: float) -> int:
    """Even window width that holds every pixel a sprite can touch."""
    return 2 * int(np.ceil(_MAX_RADIUS * scale + 1.5))


def render(factors, out: np.ndarray | None = None) -> np.ndarray:
    """Renders dSprites images for (n, 5) factor classes: uint8 (n, 64, 64).

    Args:
        factors: int (n, 5) classes of shape, scale, orientation, pos_x, pos_y.
        out: optional uint8 (n, 64, 64) array to write into (it is zeroed).

    Returns:
        uint8 (n, 64, 64) images with values 0 and 1.
    """
    factors = check_factors(factors, FACTOR_SIZES)
    n = len(factors)
    if out is None:
        out = np.zeros((n, _IMAGE_SIZE, _IMAGE_SIZE), np.uint8)
    else:
        out[...] = 0
    masks = _masks()
    for scale_class in np.unique(factors[:, 1]):
        rows = np.flatnonzero(factors[:, 1] == scale_class)
        _render_one_scale(factors[rows], int(scale_class), masks, out, rows)
    return out


def _render_one_scale(factors, scale_class, masks, out, rows) -> None:
    scale = FACTOR_VALUES[1][scale_class]
    width = _window_size(scale)
    theta = FACTOR_VALUES[2][factors[:, 2]]
    cx = 16.0 + 32.0 * FACTOR_VALUES[3][factors[:, 3]]
    cy = 16.0 + 32.0 * FACTOR_VALUES[4][factors[:, 4]]
    x0 = np.floor(cx).astype(np.int64) - width // 2
    y0 = np.floor(cy).astype(np.int64) - width // 2
    steps = np.arange(width, dtype=np.float64) + 0.5
    dx = (x0[:, None] + steps[None, :]) - cx[:, None]  # (n, W)
    dy = (y0[:, None] + steps[None, :]) - cy[:, None]
    # Canonical (u, v) = R(-theta) (dx, dy) / scale, in grid cells.
    k = _CELLS_PER_PX / scale
    cos, sin = np.cos(theta) * k, np.sin(theta) * k
    offset = _EXTENT * _CELLS_PER_PX
    u_x = (cos[:, None] * dx + offset).astype(np.float32)[:, None, :]
    u_y = (-sin[:, None] * dy).astype(np.float32)[:, :, None]
    v_x = (sin[:, None] * dx + offset).astype(np.float32)[:, None, :]
    v_y = (cos[:, None] * dy).astype(np.float32)[:, :, None]
    cell_u = (u_x + u_y).astype(np.int32)  # >= 0, so truncation is floor
    cell_v = (v_x + v_y).astype(np.int32)
    cell_v *= _GRID
    cell_v += cell_u
    shape = factors[:, 0]
    windows = np.empty(cell_v.shape, np.uint8)
    for s in range(3):
        sel = shape == s
        if sel.any():
            windows[sel] = masks[s][cell_v[sel]]
    for i, row in enumerate(rows):
        out[row, y0[i] : y0[i] + width, x0[i] : x0[i] + width] = windows[i]


def _metadata() -> dict:
    """The ``metadata`` dict of the official NPZ, for the simulated data."""
    values = {
        "color": np.array([1.0]),
        "shape": FACTOR_VALUES[0].copy(),
        "scale": FACTOR_VALUES[1].copy(),
        "orientation": FACTOR_VALUES[2].copy(),
        "posX": FACTOR_VALUES[3].copy(),
        "posY": FACTOR_VALUES[4].copy(),
    }
    return {
        "date": datetime.date.today().isoformat(),
        "description": (
            "Procedural dSprites from keras_bvae.datasets.DSpritesSimulator, "
            "in the layout of the dSprites data set (Matthey et al. 2017)."
        ),
        "version": 1,
        "latents_names": LATENTS_NAMES,
        "latents_possible_values": values,
        "latents_sizes": np.array(LATENTS_SIZES),
        "author": "keras_bvae",
        "title": "dSprites (simulated)",
    }


class DSpritesSimulator(GroundTruthData):
    """Procedural dSprites: any factor combination, rendered on demand.

    Images match the real data's factor grids, index order and geometry (see
    the module docstring for the rendering rule and its calibration).
    ``materialize()`` renders all 737,280 binary sprites once into a
    bit-packed store (377 MB); afterwards sprites are a lookup.

    ``variant`` picks disentanglement_lib's colour, noisy or scream dSprites
    (Locatello et al. 2019; rules in ``keras_bvae.datasets.
    dsprites_variants``): same five factors and grids, RGB (64, 64, 3)
    images whose colour, noise or background patch is drawn afresh for
    every image from the ``rng`` given and is not a factor. ``rows`` (the
    batch stream's access) draws it from a Generator seeded by the row
    indices, so a batch is a function of its rows.

    Args:
        materialize: render and keep the whole data set now. Defaults to False
            (render on demand).
        variant: ``"binary"`` (dSprites, one channel; default), ``"color"``,
            ``"noisy"`` or ``"scream"``.

    Raises:
        ValueError: an unknown ``variant``, listing the valid ones.

    Example:
        >>> data = DSpritesSimulator()
        >>> factors = data.sample_factors(8, rng=0)
        >>> images = data.sample_observations_from_factors(factors)
        >>> images.shape, images.dtype
        ((8, 64, 64, 1), dtype('float32'))
        >>> noisy = DSpritesSimulator(variant="noisy")
        >>> noisy.sample_observations_from_factors(factors, rng=0).shape
        (8, 64, 64, 3)

    Reference:
        Matthey et al. (2017), dSprites; Higgins et al. (2017), beta-VAE, ICLR;
        Locatello et al. (2019), Challenging common assumptions..., ICML.
    """

    def __init__(self, materialize: bool = False, variant: str = "binary"):
        self.variant = check_variant(variant)
        self._store: PackedBinaryImages | None = None
        if materialize:
            self.materialize()

    @property
    def factor_names(self) -> tuple[str, ...]:
        return FACTOR_NAMES

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return FACTOR_SIZES

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return (_IMAGE_SIZE, _IMAGE_SIZE, num_channels(self.variant))

    @property
    def renders_deterministically(self) -> bool:
        """True for binary dSprites; the other variants draw colour, noise
        or background afresh for every image."""
        return self.variant == "binary"

    @property
    def factor_values(self) -> tuple[np.ndarray, ...]:
        """Real-valued grid of each factor (shape is coded 1, 2, 3)."""
        return tuple(v.copy() for v in FACTOR_VALUES)

    @property
    def num_images(self) -> int:
        return NUM_IMAGES

    @property
    def is_materialized(self) -> bool:
        return self._store is not None

    def index_of(self, factors) -> np.ndarray:
        """Row of each (n, 5) factor vector in the real data: int64 (n,)."""
        factors = check_factors(factors, FACTOR_SIZES)
        return factors @ np.asarray(FACTOR_STRIDES, dtype=np.int64)

    def rows(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Factors and images of data-set rows (see GroundTruthData)."""
        factors = self.factors_of(indices)
        rng = None
        if self.variant != "binary":
            rng = np.random.default_rng([_ROWS_SEED, *self.index_of(factors)])
        return factors, self.sample_observations_from_factors(factors, rng)

    def factors_of(self, index) -> np.ndarray:
        """Factor classes of data-set rows: int64 (n, 5).

        Raises:
            ValueError: an index outside [0, 737280), naming it.
        """
        index = np.asarray(index)
        if index.ndim != 1 or (
            index.size and not np.issubdtype(index.dtype, np.integer)
        ):
            raise ValueError(
                "index must be a 1-D integer array; got shape "
                f"{index.shape} and dtype {index.dtype}"
            )
        index = index.astype(np.int64)
        bad = (index < 0) | (index >= NUM_IMAGES)
        if bad.any():
            raise ValueError(
                f"index {index[bad][0]} is outside [0, {NUM_IMAGES})"
            )
        return np.stack(np.unravel_index(index, FACTOR_SIZES), axis=1).astype(
            np.int64
        )

    def latents(self, index) -> tuple[np.ndarray, np.ndarray]:
        """The real files' six-column ``(classes, values)`` for rows ``index``.

        Column 0 is the constant colour (class 0, value 1.0); columns 1..5 are
        shape, scale, orientation, posX, posY. Returns int64 and float64
        arrays of shape (n, 6).
        """
        classes5 = self.factors_of(index)
        n = len(classes5)
        classes = np.zeros((n, 6), np.int64)
        classes[:, 1:] = classes5
        values = np.ones((n, 6), np.float64)
        for k in range(5):
            values[:, k + 1] = FACTOR_VALUES[k][classes5[:, k]]
        return classes, values

    def render(self, factors) -> np.ndarray:
        """Renders (n, 5) factor classes as uint8 (n, 64, 64) 0/1 images."""
        return render(factors)

    def sample_observations_from_factors(
        self,
        factors,
        rng: int | np.random.Generator | None = None,
        *,
        keep: int | Sequence[int] | None = None,
    ) -> np.ndarray:
        """Images for (n, 5) factor classes: float32 (n, 64, 64, C).

        Binary: C = 1, values in {0, 1}. Variants: C = 3, values in [0, 1],
        with the colour, noise or patch drawn from ``rng`` (a seed or
        Generator; None draws fresh entropy).

        Every combination exists, so the image always has exactly the
        requested factors; ``keep`` (accepted for the same call as
        ``ArrayGroundTruthData``) changes nothing.
        """
        del keep
        factors = check_factors(factors, FACTOR_SIZES)
        if self.variant == "binary":
            if self._store is not None:
                return self._store.take(self.index_of(factors))
            return render(factors)[..., None].astype(np.float32)
        if self._store is not None:
            masks = self._store.take(self.index_of(factors), dtype=np.uint8)
            masks = masks[..., 0]
        else:
            masks = render(factors)
        return colorize(masks, self.variant, as_rng(rng))

    def materialize(self, batch_size: int = 2048) -> PackedBinaryImages:
        """Renders all 737,280 images into a bit-packed store (377 MB).

        Later calls to ``sample_observations_from_factors`` unpack rows of
        this store instead of rendering (a variant then colours the unpacked
        binary sprites). Returns the store (rows in the real
        data's order).
        """
        if self._store is None:
            packed = np.empty(
                (NUM_IMAGES, _IMAGE_SIZE * _IMAGE_SIZE // 8), np.uint8
            )
            buf = np.empty((batch_size, _IMAGE_SIZE, _IMAGE_SIZE), np.uint8)
            for start in range(0, NUM_IMAGES, batch_size):
                stop = min(start + batch_size, NUM_IMAGES)
                idx = np.arange(start, stop)
                imgs = render(self.factors_of(idx), out=buf[: stop - start])
                packed[start:stop] = np.packbits(
                    imgs.reshape(stop - start, -1), axis=1
                )
            self._store = PackedBinaryImages(
                packed, (_IMAGE_SIZE, _IMAGE_SIZE, 1)
            )
        return self._store

    def _selection(self, indices) -> np.ndarray:
        if indices is None:
            return np.arange(NUM_IMAGES, dtype=np.int64)
        indices = np.asarray(indices)
        self.factors_of(indices)  # validates
        return indices.astype(np.int64)

    def _check_binary(self, what: str) -> None:
        if self.variant != "binary":
            raise ValueError(
                f"{what} writes the official binary layout; variant "
                f"{self.variant!r} has no such file (use variant='binary')"
            )

    def _images_uint8(self, index: np.ndarray, batch_size: int = 8192):
        imgs = np.empty((len(index), _IMAGE_SIZE, _IMAGE_SIZE), np.uint8)
        for start in range(0, len(index), batch_size):
            part = index[start : start + batch_size]
            if self._store is not None:
                imgs[start : start + len(part)] = self._store.take(
                    part, dtype=np.uint8
                )[..., 0]
            else:
                render(
                    self.factors_of(part), out=imgs[start : start + len(part)]
                )
        return imgs

    def write_npz(self, path: str | os.PathLike, indices=None) -> None:
        """Writes images in the official NPZ layout.

        Keys: ``imgs`` uint8 (N, 64, 64) with values 0/1, ``latents_classes``
        int64 (N, 6), ``latents_values`` float64 (N, 6) and ``metadata`` (a
        pickled dict; read it with ``np.load(path, allow_pickle=True)``).

        Args:
            path: file to write (compressed, as the official file is).
            indices: rows of the data set to write, in that order. Defaults to
                all 737,280 (about 3 GB in memory while writing).

        Raises:
            ValueError: a variant other than binary.
        """
        self._check_binary("write_npz")
        index = self._selection(indices)
        classes, values = self.latents(index)
        np.savez_compressed(
            path,
            imgs=self._images_uint8(index),
            latents_classes=classes,
            latents_values=values,
            metadata=np.array(_metadata(), dtype=object),
        )

    def write_hdf5(self, path: str | os.PathLike, indices=None) -> None:
        """Writes images in the official HDF5 layout (the file tfds reads).

        Datasets: ``imgs`` uint8 (N, 64, 64) with values 0/1,
        ``latents/classes`` int64 (N, 6) and ``latents/values`` float64
        (N, 6). Needs h5py.

        Args:
            path: file to write.
            indices: rows of the data set to write, in that order. Defaults to
                all 737,280 (written in chunks; little memory).

        Raises:
            ValueError: a variant other than binary.
        """
        self._check_binary("write_hdf5")
        import h5py

        index = self._selection(indices)
        classes, values = self.latents(index)
        n = len(index)
        with h5py.File(path, "w") as f:
            imgs = f.create_dataset(
                "imgs",
                shape=(n, _IMAGE_SIZE, _IMAGE_SIZE),
                dtype=np.uint8,
                chunks=(min(max(n, 1), 1024), _IMAGE_SIZE, _IMAGE_SIZE),
                compression="gzip",
            )
            step = 16384
            for start in range(0, n, step):
                part = index[start : start + step]
                imgs[start : start + len(part)] = self._images_uint8(part)
            latents = f.create_group("latents")
            latents.create_dataset("classes", data=classes)
            latents.create_dataset("values", data=values)
