"""Test data for fixtures (conftest.py) and for scripts that tests run in a
child process, which cannot use fixtures."""

import numpy as np

from keras_bvae.datasets.base import GroundTruthData, check_factors


def blob_images(num: int, seed: int = 0, size: int = 64) -> np.ndarray:
    """Binary squares of random size and position: (num, size, size, 1)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((num, size, size, 1), np.float32)
    for i in range(num):
        side = int(rng.integers(size // 8, size // 3))
        top, left = rng.integers(0, size - side, 2)
        images[i, top : top + side, left : left + side, 0] = 1.0
    return images



class Squares(GroundTruthData):
    """Ground truth of two factors: a square at one of grid x grid places.

    Args:
        grid: int. Positions per axis. Defaults to 4.
        step: int. Pixels between positions. Defaults to 16.
        side: int. Side of the square. Defaults to 16.
    """

    factor_names = ("x", "y")
    observation_shape = (64, 64, 1)

    def __init__(self, grid: int = 4, step: int = 16, side: int = 16):
        self.grid, self.step, self.side = grid, step, side

    @property
    def factor_sizes(self):
        return (self.grid, self.grid)

    def sample_observations_from_factors(self, factors, rng=None):
        factors = check_factors(factors, self.factor_sizes)
        images = np.zeros((len(factors), 64, 64, 1), np.float32)
        step, side = self.step, self.side
        for i, (x, y) in enumerate(factors):
            images[i, step * y : step * y + side, step * x : step * x + side] = 1
        return images
