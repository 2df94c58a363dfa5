"""Test data for fixtures (conftest.py) and for scripts that tests run in a
child process, which cannot use fixtures."""

import numpy as np


def blob_images(num: int, seed: int = 0, size: int = 64) -> np.ndarray:
    """Binary squares of random size and position: (num, size, size, 1)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((num, size, size, 1), np.float32)
    for i in range(num):
        side = int(rng.integers(size // 8, size // 3))
        top, left = rng.integers(0, size - side, 2)
        images[i, top : top + side, left : left + side, 0] = 1.0
    return images
