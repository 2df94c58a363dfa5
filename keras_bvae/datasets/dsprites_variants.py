"""The colour, noisy and scream dSprites of disentanglement_lib.

Locatello et al. (2019) trained and scored on three variants of dSprites
that keep its five factors and index order but change how a binary sprite
becomes an RGB image. Each image draws its own randomness, which is *not*
a factor:

* ``"color"``: the sprite takes one colour per image, each RGB channel
  drawn uniformly from [0.5, 1]; the background stays black.
* ``"noisy"``: every background pixel and channel is uniform noise in
  [0, 1); sprite pixels are white (1).
* ``"scream"``: the background is a random 64x64 patch of a texture, its
  colours averaged with a random colour: ``(patch + u) / 2`` with
  ``u ~ U[0, 1]^3`` per image; sprite pixels invert it: ``1 - (patch +
  u) / 2``.

``"binary"`` is the plain one-channel dSprites. ``colorize`` applies a
variant to a batch of binary masks in a few vectorised numpy operations.

The texture. disentanglement_lib crops Munch's *The Scream* (a photograph
we cannot ship). ``scream_texture()`` is a stand-in made here: a
deterministic swirl of smooth colour bands (fixed seed, 256 x 256 RGB in
[0, 1], built once and cached), with every one of its 193 x 193 patch
offsets equally likely. The rule that matters for disentanglement, a
background that varies with content and a sprite that is its inverse, is
the same; the pixel statistics of the painting are not.

Randomness, drawn from the given Generator in this order: ``"color"``
draws (n, 3) colours; ``"noisy"`` draws (n, 64, 64, 3) float32 noise;
``"scream"`` draws n row offsets, n column offsets, then (n, 3) colours.

Reference:
    Locatello et al. (2019). Challenging common assumptions in the
    unsupervised learning of disentangled representations. ICML.
    ``disentanglement_lib/data/ground_truth/dsprites.py`` (ColorDSprites,
    NoisyDSprites, ScreamDSprites).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "VARIANTS",
    "check_variant",
    "colorize",
    "num_channels",
    "scream_texture",
]

VARIANTS = ("binary", "color", "noisy", "scream")
_TEXTURE_SIZE = 256
_TEXTURE_SEED = 1893  # the year of the painting it stands in for
_PATCH = 64


def check_variant(variant: str) -> str:
    """Returns ``variant`` or raises ValueError listing the valid ones."""
    if variant not in VARIANTS:
        raise ValueError(
            f"unknown dSprites variant {variant!r}; valid: "
            f"{', '.join(VARIANTS)}"
        )
    return variant


def num_channels(variant: str) -> int:
    """Channels of a variant's images: 1 for binary, 3 for the others."""
    return 1 if check_variant(variant) == "binary" else 3


@functools.lru_cache(maxsize=1)
def _texture() -> np.ndarray:
    size = _TEXTURE_SIZE
    rng = np.random.default_rng(_TEXTURE_SEED)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    # A few swirl centres: the angle around each turns with the distance.
    field = np.zeros((size, size))
    for cx, cy, turn, weight in zip(
        rng.uniform(0.1, 0.9, 4),
        rng.uniform(0.1, 0.9, 4),
        rng.uniform(6.0, 14.0, 4) * rng.choice([-1.0, 1.0], 4),
        rng.uniform(0.5, 1.0, 4),
    ):
        r = np.hypot(x - cx, y - cy)
        angle = np.arctan2(y - cy, x - cx)
        field += weight * np.sin(3.0 * angle + turn * r) * np.exp(-2.0 * r)
    # Long smooth bands on top, as in a sky painted in strokes.
    field += 0.6 * np.sin(9.0 * y + 2.0 * np.sin(5.0 * x))
    channels = []
    for phase, speed in zip(rng.uniform(0, 2 * np.pi, 3), (2.1, 2.6, 3.3)):
        channels.append(0.5 + 0.5 * np.sin(speed * field + phase))
    texture = np.stack(channels, axis=-1).astype(np.float32)
    texture.setflags(write=False)
    return texture


def scream_texture() -> np.ndarray:
    """The procedural stand-in for *The Scream*: float32 (256, 256, 3).

    Deterministic (fixed seed), values in [0, 1], read-only and cached.
    """
    return _texture()


def colorize(masks: np.ndarray, variant: str, rng: np.random.Generator):
    """Turns binary sprites into a variant's images (module docstring).

    Args:
        masks: (n, 64, 64) array of 0/1 (any integer or bool dtype).
        variant: one of ``VARIANTS``.
        rng: Generator for the per-image colours, noise and patches.

    Returns:
        float32 (n, 64, 64, C) in [0, 1]; C = ``num_channels(variant)``.
    """
    check_variant(variant)
    lit = np.asarray(masks).astype(bool)[..., None]  # (n, 64, 64, 1)
    n = len(lit)
    if variant == "binary":
        return lit.astype(np.float32)
    if variant == "color":
        colour = rng.uniform(0.5, 1.0, (n, 1, 1, 3)).astype(np.float32)
        return lit * colour
    if variant == "noisy":
        noise = rng.random((n, _PATCH, _PATCH, 3), dtype=np.float32)
        return np.where(lit, np.float32(1.0), noise)
    texture = _texture()
    height, width = texture.shape[:2]
    top = rng.integers(0, height - _PATCH + 1, n)
    left = rng.integers(0, width - _PATCH + 1, n)
    colour = rng.random((n, 1, 1, 3), dtype=np.float32)
    steps = np.arange(_PATCH)
    rows = (top[:, None] + steps)[:, :, None]  # (n, 64, 1)
    cols = (left[:, None] + steps)[:, None, :]  # (n, 1, 64)
    background = (texture[rows, cols] + colour) * np.float32(0.5)
    return np.where(lit, np.float32(1.0) - background, background)
