"""How many pixels each dSprites factor moves: what coding it buys.

A rate-limited model pays for a factor's information in nats of KL and is
repaid in reconstruction, roughly in proportion to the pixels that knowing
the factor puts right. For each factor this draws 10,000 simulator
sprites (seed 0) and counts the pixels that change when only that factor
is redrawn at random, or moved by one step (orientation cyclically; the
others up one value, or down at the top), and divides the first count by
the factor's entropy in nats (log of its number of values).

Usage: python experiments/flagship/factor_pixel_cost.py [--num-samples N]
"""

from __future__ import annotations

import argparse

import numpy as np

from keras_bvae.datasets.simulator import DSpritesSimulator


def changed_pixels(data, before, moved) -> np.ndarray:
    """Pixels of the sprites ``before`` that differ once drawn at ``moved``."""
    after = data.sample_observations_from_factors(moved)
    return (before != after).reshape(len(moved), -1).sum(axis=1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-samples", type=int, default=10_000)
    args = parser.parse_args(argv)
    data = DSpritesSimulator()
    rng = np.random.default_rng(0)
    factors = data.sample_factors(args.num_samples, rng)
    lit = data.sample_observations_from_factors(factors)
    mean_lit = lit.reshape(len(lit), -1).sum(axis=1).mean()
    print(f"{args.num_samples} sprites, {mean_lit:.0f} lit pixels on average")
    print("factor       values  nats  redrawn  per nat  one step")
    for j, (name, size) in enumerate(zip(data.factor_names, data.factor_sizes)):
        redrawn = factors.copy()
        redrawn[:, j] = rng.integers(size, size=len(factors))
        step = factors.copy()
        if name == "orientation":
            step[:, j] = (factors[:, j] + 1) % size
        else:
            step[:, j] = np.where(
                factors[:, j] + 1 < size, factors[:, j] + 1, factors[:, j] - 1
            )
        nats = np.log(size)
        moved = changed_pixels(data, lit, redrawn).mean()
        nudged = changed_pixels(data, lit, step).mean()
        print(
            f"{name:<12} {size:>6} {nats:>5.2f} {moved:>8.1f} "
            f"{moved / nats:>8.1f} {nudged:>9.1f}"
        )


if __name__ == "__main__":
    main()
