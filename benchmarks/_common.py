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

Every script prints the machine it ran on (``print_machine``) before its
numbers, and puts the short form (``machine_tag``) beside its summary:

- CPU model, logical CPUs and the CPUs this process may use;
- ISA class from the ``/proc/cpuinfo`` flags: AVX-512+AMX (``amx_tile``),
  AVX-512 (``avx512f``), AVX2 (``avx2``), ARM (an aarch64 machine;
  ``+SVE`` when it has ``sve``), else ``x86-64 (no AVX2)``;
- the ISA oneDNN picked inside TensorFlow. TF has no API for it, so a
  subprocess (same environment) runs one small stride-2 convolution with
  ``ONEDNN_VERBOSE=1`` and reads oneDNN's own report from its stdout: the
  ``info,cpu,isa:`` line (the most capable ISA oneDNN will dispatch to,
  after ``ONEDNN_MAX_CPU_ISA``) and the implementation of the convolution
  primitive that ran (e.g. ``brg_conv_fwd:avx512_core``,
  ``jit:avx2``, ``x64:gemm:jit``). Where TF keeps its oneDNN operations
  off (its default on CPUs without AVX-512 VNNI, BF16 or AMX, e.g. an AVX2
  EPYC) the convolution is TF's own (Eigen) and only its matrix products
  reach oneDNN (``gemm_api`` lines): reported as "Eigen (oneDNN gemm)".
  No oneDNN line at all means oneDNN is not in use;
- PyTorch's kernel level, ``torch.backends.cpu.get_cpu_capability()``
  (after ``ATEN_CPU_CAPABILITY``), when torch is installed;
- ``ONEDNN_MAX_CPU_ISA``, ``DNNL_MAX_CPU_ISA``, ``ATEN_CPU_CAPABILITY`` and
  ``TF_ENABLE_ONEDNN_OPTS`` when set.

On an AVX-512 machine, ``ONEDNN_MAX_CPU_ISA=AVX2`` (TF and PyTorch's
oneDNN) plus ``ATEN_CPU_CAPABILITY=avx2`` (PyTorch's own kernels) stand in
for an AVX2 machine; the report above shows whether they took effect.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from keras_bvae.onednn import prefer_onednn_kernels

# Every benchmark times TensorFlow as keras_bvae's command line runs it:
# with oneDNN's kernels on also where TensorFlow leaves them off (AVX2-only
# CPUs). Set TF_ENABLE_ONEDNN_OPTS=0 to time TensorFlow's own kernels.
prefer_onednn_kernels()

__all__ = [
    "LayerCost",
    "layer_costs",
    "train_flops_per_example",
    "matmul_gflops",
    "numpy_matmul_gflops",
    "median",
    "format_table",
    "ISA_ENV_VARS",
    "cpu_model_and_flags",
    "isa_class",
    "onednn_report",
    "torch_cpu_capability",
    "machine_info",
    "machine_tag",
    "print_machine",
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
                in_shape[1]
                * in_shape[2]
                * k_h
                * k_w
                * in_shape[3]
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
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
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


# -- the machine ----------------------------------------------------------

ISA_ENV_VARS = (
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "ATEN_CPU_CAPABILITY",
    "TF_ENABLE_ONEDNN_OPTS",
)

# One convolution shaped like the model's (4x4, stride 2, 32 channels), so
# the implementation reported is the one the benchmarks exercise.
_ONEDNN_PROBE = """
import tensorflow as tf
x = tf.ones((8, 32, 32, 32))
w = tf.ones((4, 4, 32, 32))
tf.nn.conv2d(x, w, 2, "SAME").numpy()
"""


def cpu_model_and_flags(
    cpuinfo: str = "/proc/cpuinfo",
) -> tuple[str, set[str]]:
    """The CPU model name and the feature flags of the first CPU listed.

    Reads ``/proc/cpuinfo`` (x86 ``model name`` / ``flags``, ARM
    ``Features`` and ``CPU part``); elsewhere falls back to ``platform``
    with no flags.
    """
    model, flags = "", set()
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("model name", "Model", "Processor") and not model:
            model = value
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key == "CPU part" and not model:
            model = f"ARM CPU part {value}"
    return model or platform.processor() or platform.machine(), flags


def isa_class(flags: set[str], machine: str | None = None) -> str:
    """AVX-512+AMX, AVX-512, AVX2, ARM or "x86-64 (no AVX2)" from CPU flags."""
    machine = (machine or platform.machine()).lower()
    if machine in ("aarch64", "arm64") or machine.startswith("arm"):
        return "ARM+SVE" if "sve" in flags else "ARM"
    if "amx_tile" in flags:
        return "AVX-512+AMX"
    if "avx512f" in flags:
        return "AVX-512"
    if "avx2" in flags:
        return "AVX2"
    return "x86-64 (no AVX2)"


def onednn_report(timeout: float = 120.0) -> dict:
    """The ISA and convolution kernel oneDNN picks in TF, in this environment.

    Runs ``_ONEDNN_PROBE`` in a subprocess with ``ONEDNN_VERBOSE=1`` and
    parses oneDNN's verbose lines. Returns {"isa": ..., "conv": ...}; the
    values are "oneDNN off" when no oneDNN line appeared, or describe the
    failure.
    """
    env = {**os.environ, "ONEDNN_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _ONEDNN_PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"isa": "probe timed out", "conv": "probe timed out"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"isa": f"probe failed: {last}", "conv": "probe failed"}
    isa = conv = None
    gemm = False
    for line in done.stdout.splitlines():
        fields = line.split(",")
        if not fields or not fields[0].startswith(
            ("onednn_verbose", "dnnl_verbose")
        ):
            continue
        if "info" in fields and any(f.startswith("isa:") for f in fields):
            isa = line.split("isa:", 1)[1].strip()
        elif "exec" in fields and "convolution" in fields and conv is None:
            conv = fields[fields.index("convolution") + 1]
        elif "exec" in fields and "gemm_api" in fields:
            gemm = True
    if isa is None and conv is None:
        return {"isa": "oneDNN off", "conv": "oneDNN off"}
    if conv is None and gemm:
        conv = "Eigen (oneDNN gemm)"
    return {"isa": isa or "?", "conv": conv or "?"}


def torch_cpu_capability(timeout: float = 120.0) -> str | None:
    """PyTorch's CPU kernel level (e.g. AVX512), or None without torch."""
    if importlib.util.find_spec("torch") is None:
        return None
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "probe timed out"
    lines = done.stdout.strip().splitlines()
    return lines[-1] if done.returncode == 0 and lines else "probe failed"


def machine_info(probe: bool = True) -> dict:
    """What the numbers were measured on; see the module docstring.

    Args:
        probe: bool. Run the oneDNN and PyTorch probes (a few seconds
            each, in subprocesses). Defaults to True.
    """
    model, flags = cpu_model_and_flags()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "cpu": model,
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "isa_class": isa_class(flags),
        "env": {k: os.environ[k] for k in ISA_ENV_VARS if k in os.environ},
    }
    if probe:
        report = onednn_report()
        info["onednn_isa"] = report["isa"]
        info["onednn_conv"] = report["conv"]
        capability = torch_cpu_capability()
        if capability is not None:
            info["torch_cpu_capability"] = capability
    return info


def machine_tag(info: dict) -> str:
    """A short one-line form of ``machine_info``, to print beside numbers."""
    parts = [
        info["cpu"],
        f"{info['cpus_usable']}/{info['cpus']} CPUs",
        info["isa_class"],
    ]
    if "onednn_conv" in info:
        parts.append(f"oneDNN conv {info['onednn_conv']}")
    if "torch_cpu_capability" in info:
        parts.append(f"torch {info['torch_cpu_capability']}")
    parts += [f"{k}={v}" for k, v in info["env"].items()]
    return ", ".join(parts)


def print_machine(probe: bool = True) -> dict:
    """Prints the machine block every benchmark starts with; returns it."""
    info = machine_info(probe=probe)
    print(
        f"machine: {info['cpu']}; {info['cpus']} CPUs "
        f"({info['cpus_usable']} usable by this process); ISA class "
        f"{info['isa_class']} (/proc/cpuinfo flags)"
    )
    if probe:
        print(
            f"machine: oneDNN in TF: isa {info['onednn_isa']}; "
            f"stride-2 conv kernel {info['onednn_conv']}"
        )
        if "torch_cpu_capability" in info:
            print(
                "machine: torch.backends.cpu.get_cpu_capability() = "
                f"{info['torch_cpu_capability']}"
            )
    env = ", ".join(f"{k}={v}" for k, v in info["env"].items())
    print(f"machine: {env or 'no ONEDNN/ATEN/TF oneDNN variable set'}")
    print("machine: " + json.dumps(info, sort_keys=True))
    return info
