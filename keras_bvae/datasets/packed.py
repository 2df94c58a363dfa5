"""Binary images held one bit per pixel.

All 737,280 dSprites images take 737,280 * 4096 / 8 bytes = 377 MB when each
pixel is one bit (``np.packbits``), against 3.0 GB as uint8 and 12 GB as
float32. ``PackedBinaryImages`` keeps them that way and unpacks only the rows
asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["PackedBinaryImages"]


class PackedBinaryImages:
    """A stack of binary images stored with ``np.packbits``.

    Args:
        packed: uint8 array (n, ceil(prod(image_shape) / 8)), each row the
            packed bits of one flattened image (C order, big-endian bits as
            ``np.packbits`` writes them).
        image_shape: shape of one image, e.g. ``(64, 64, 1)``.

    Example:
        >>> images = np.zeros((2, 64, 64, 1), np.uint8)
        >>> store = PackedBinaryImages.from_images(images)
        >>> store.take([1, 0]).shape
        (2, 64, 64, 1)
    """

    def __init__(self, packed: np.ndarray, image_shape: Sequence[int]):
        packed = np.asarray(packed)
        image_shape = tuple(int(s) for s in image_shape)
        num_bits = int(np.prod(image_shape))
        if packed.dtype != np.uint8 or packed.ndim != 2:
            raise ValueError(
                "packed must be a 2-D uint8 array; got dtype "
                f"{packed.dtype} and shape {packed.shape}"
            )
        if packed.shape[1] != (num_bits + 7) // 8:
            raise ValueError(
                f"packed rows have {packed.shape[1]} bytes but images of shape "
                f"{image_shape} need {(num_bits + 7) // 8}"
            )
        self.packed = packed
        self.image_shape = image_shape
        self._num_bits = num_bits

    @classmethod
    def from_images(cls, images) -> PackedBinaryImages:
        """Packs (n, *image_shape) images whose values are all 0 or 1.

        Raises:
            ValueError: a value other than 0 or 1 (naming it), or no batch axis.
        """
        images = np.asarray(images)
        if images.ndim < 2:
            raise ValueError(
                f"images must have a batch axis; got shape {images.shape}"
            )
        check_binary(images)
        flat = images.reshape(images.shape[0], -1).astype(np.uint8)
        return cls(np.packbits(flat, axis=1), images.shape[1:])

    def __len__(self) -> int:
        return self.packed.shape[0]

    @property
    def nbytes(self) -> int:
        return self.packed.nbytes

    def take(self, rows, dtype=np.float32) -> np.ndarray:
        """Unpacks the images at ``rows``: (len(rows), *image_shape)."""
        rows = np.asarray(rows, dtype=np.int64)
        bits = np.unpackbits(self.packed[rows], axis=1, count=self._num_bits)
        return bits.reshape((len(rows),) + self.image_shape).astype(
            dtype, copy=False
        )


def check_binary(images: np.ndarray) -> None:
    """Raises ValueError naming a value that is neither 0 nor 1."""
    if images.dtype == bool:
        return
    bad = (images != 0) & (images != 1)
    if bad.any():
        value = images[tuple(np.argwhere(bad)[0])]
        raise ValueError(
            f"binary images must hold only 0 and 1; found the value {value}"
        )
