"""Test data for fixtures (conftest.py) and for scripts that tests run in a
child process, which cannot use fixtures."""

import base64
import json
import re

import numpy as np

from keras_bvae.datasets.arrays import ArrayGroundTruthData
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
            images[
                i, step * y : step * y + side, step * x : step * x + side
            ] = 1
        return images


# -- metric test data (oracle and degenerate codes) ------------------------

DSPRITES_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
DSPRITES_SIZES = (3, 6, 40, 32, 32)


class FactorVectorData(GroundTruthData):
    """Observation = the factor classes as a float32 vector (K,)."""

    def __init__(self, sizes=DSPRITES_SIZES, names=None):
        self._sizes = tuple(sizes)
        self._names = tuple(names or (f"f{i}" for i in range(len(sizes))))

    @property
    def factor_names(self):
        return self._names

    @property
    def factor_sizes(self):
        return self._sizes

    @property
    def observation_shape(self):
        return (len(self._sizes),)

    def sample_observations_from_factors(self, factors, rng=None):
        return np.asarray(factors, dtype=np.float32)


def dsprites_like():
    return FactorVectorData(DSPRITES_SIZES, DSPRITES_NAMES)


def oracle(x):
    return np.asarray(x, dtype=np.float64)


PARTIAL_SIZES = (3, 6, 10, 8, 8)


def partial_factor_images(fraction=0.1, seed=0):
    """ArrayGroundTruthData holding a random ``fraction`` of the factor
    combinations of PARTIAL_SIZES; each image (1, K) is its classes / 64,
    so ``flat_oracle`` reads the true factors of whatever image is served."""
    grid = np.indices(PARTIAL_SIZES).reshape(len(PARTIAL_SIZES), -1).T
    rng = np.random.default_rng(seed)
    factors = grid[rng.random(len(grid)) < fraction]
    images = (factors / 64).astype(np.float32)[:, None, :]
    return ArrayGroundTruthData(images, factors, factor_sizes=PARTIAL_SIZES)


def flat_oracle(x):
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1) * 64


def constant(x):
    return np.zeros((len(x), 5))


def noise_fn(dims=5, seed=123):
    """Codes that ignore the input: fresh standard normal noise per call."""
    rng = np.random.default_rng(seed)
    return lambda x: rng.normal(size=(len(x), dims))


class CallLog:
    """Representation wrapper that records the batch sizes it is called on."""

    def __init__(self, fn):
        self.fn = fn
        self.sizes = []

    def __call__(self, x):
        self.sizes.append(len(x))
        return self.fn(x)


# The latent explorer page (keras_bvae.explorer), read back in Python.
def read_page(path):
    """(payload, weights, html) of a page written by ``write_page``."""
    with open(path) as handle:
        text = handle.read()
    payload = re.search(
        r'<script type="application/json" id="explorer-data">(.*?)</script>',
        text,
        re.S,
    ).group(1)
    blob = re.search(r'id="explorer-weights">(.*?)</script>', text, re.S)
    weights = np.frombuffer(base64.b64decode(blob.group(1)), "<f4")
    return json.loads(payload), weights, text


def example_images(payload):
    """The uint8 example images of a page's payload."""
    shape = payload["imageShape"]
    return np.stack(
        [
            np.frombuffer(base64.b64decode(b64), np.uint8).reshape(shape)
            for b64 in payload["examples"]
        ]
    )
