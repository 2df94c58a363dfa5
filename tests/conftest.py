"""Shared fixtures: tiny binary image batches and small models."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def blob_images(num: int, seed: int = 0, size: int = 64) -> np.ndarray:
    """Binary squares of random size and position: (num, size, size, 1)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((num, size, size, 1), np.float32)
    for i in range(num):
        side = int(rng.integers(size // 8, size // 3))
        top, left = rng.integers(0, size - side, 2)
        images[i, top:top + side, left:left + side, 0] = 1.0
    return images


@pytest.fixture
def images():
    return blob_images(32)
