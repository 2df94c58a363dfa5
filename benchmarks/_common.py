"""Shared helpers for the benchmarks: ceilings, FLOP counts, summaries.

The matmul ceiling is the GFLOP/s of a large square fp32 matrix product
(2 n^3 FLOP per product), the best a dense CPU kernel reaches on this
machine; a model's images/s "ceiling" is that rate divided by its FLOP per
image. FLOP counts are analytic (a multiply-add counts as 2 FLOP):

- Dense: in * out multiply-adds per example.
- Conv2D: H_out * W_out * k_h * k_w * C_in * C_out.
- Conv2DTranspose: H_in * W_in * k_h * k_w * C_in * C_out (every input
  pixel scatters one k x k x C_out patch).

A training step costs the forward pass plus, for every layer, the gradient
with respect to its weights (as much again) and with respect to its input
(as much again, skipped for the first layer, whose input is the data):
3 x forward minus the first layer's input gradient. Elementwise work
(activations, the loss, Adam) is left out; it is small next to these.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "LayerCost",
    "layer_costs",
    "train_flops_per_example",
    "matmul_gflops",
    "numpy_matmul_gflops",
    "median",
    "format_table",
]


class LayerCost:
    """Multiply-adds of one weighted layer for a single example.

    Args:
        name: str. Layer name.
        macs: int. Multiply-adds of the forward pass.
    """

    def __init__(self, name: str, macs: int):
        self.name = name
        self.macs = int(macs)

    def __repr__(self) -> str:
        return f"LayerCost({self.name!r}, {self.macs})"


def _prod(values: Iterable[int]) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def layer_costs(model) -> list[LayerCost]:
    """Forward multiply-adds per example of a Keras model's weighted layers.

    Handles Dense, Conv2D and Conv2DTranspose (nested models are walked);
    raises ValueError on any other layer that owns weights, so nothing is
    silently left out of the count.
    """
    from keras import layers

    costs: list[LayerCost] = []
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            costs.extend(layer_costs(layer))
            continue
        if isinstance(layer, layers.Conv2DTranspose):
            in_shape = layer.input.shape
            k_h, k_w = layer.kernel_size
            macs = (
                in_shape[1] * in_shape[2] * k_h * k_w * in_shape[3]
                * layer.filters
            )
        elif isinstance(layer, layers.Conv2D):
            out_shape = layer.output.shape
            k_h, k_w = layer.kernel_size
            c_in = layer.input.shape[-1]
            macs = (
                out_shape[1] * out_shape[2] * k_h * k_w * c_in * layer.filters
            )
        elif isinstance(layer, layers.Dense):
            macs = _prod(layer.input.shape[1:-1] or [1]) * (
                layer.input.shape[-1] * layer.units
            )
        elif layer.weights:
            raise ValueError(
                f"cannot count the FLOPs of layer {layer.name!r} of type "
                f"{type(layer).__name__}"
            )
        else:
            continue
        costs.append(LayerCost(layer.name, macs))
    return costs


def train_flops_per_example(costs: Sequence[LayerCost]) -> int:
    """FLOP of one training step per example: forward plus backward.

    ``costs`` must be in execution order (the first entry is the layer that
    reads the data and needs no input gradient).
    """
    if not costs:
        raise ValueError("got no layer costs")
    forward = sum(c.macs for c in costs)
    return 2 * (3 * forward - costs[0].macs)


def matmul_gflops(
    matmul: Callable[[], object], n: int, min_seconds: float = 0.5
) -> float:
    """GFLOP/s of ``matmul`` (one n x n by n x n fp32 product per call).

    Calls it once to warm up, then repeatedly for at least ``min_seconds``
    and reports the fastest call, the least disturbed by other processes.
    """
    matmul()
    best = float("inf")
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        matmul()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    if not values:
        raise ValueError("median of an empty sequence")
    return float(statistics.median(values))


def format_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(h) for h in header]] + [
        [str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def numpy_matmul_gflops(n: int = 2048, min_seconds: float = 0.5) -> float:
    """Large fp32 matmul rate of numpy's BLAS, GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return matmul_gflops(lambda: a @ b, n, min_seconds)
