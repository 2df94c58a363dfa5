"""Training precision: float32, or mixed bfloat16 / float16 Keras policies.

``precision="bfloat16"`` trains under Keras's ``mixed_bfloat16`` policy and
``"float16"`` under ``mixed_float16``: the networks compute in the low
precision while their variables, the optimiser, the likelihood, the KL,
the objectives' batch estimators and the logged terms stay float32
(``BetaVAE``; docs/mixed_precision.md). Under float16 the loss is scaled
against underflow (Keras's ``LossScaleOptimizer``, which ``BetaVAE.compile``
adds).

Each needs hardware that runs it: bfloat16 a GPU or a CPU with AMX or
AVX512_BF16 (oneDNN has no bfloat16 convolution elsewhere); float16 a GPU
(on CPUs TensorFlow computes float16 convolution filter gradients in a
reference kernel: 19 s against 32 ms in float32 for one 4x4 stride-2
layer of the "burgess" network, batch 64, on a Xeon with AVX512_FP16).
``check_precision_support`` says so in one line.

Example:
```python
from keras_bvae.precision import precision_scope

with precision_scope("bfloat16"):
    model = keras_bvae.BetaVAE()   # mixed_bfloat16 from here on
model.compile(optimizer="adam")
```
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import keras
import tensorflow as tf

__all__ = [
    "POLICIES",
    "check_bfloat16_support",
    "check_precision_support",
    "precision_scope",
]

# precision name -> Keras dtype policy
POLICIES = {
    "float32": "float32",
    "bfloat16": "mixed_bfloat16",
    "float16": "mixed_float16",
}

# /proc/cpuinfo flags of x86 CPUs whose oneDNN kernels compute in bfloat16.
_BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def _has_gpu() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def check_bfloat16_support(cpuinfo: str = "/proc/cpuinfo") -> None:
    """Raises ValueError unless TensorFlow can run bfloat16 convolutions.

    A visible GPU, or a CPU with AMX or AVX512_BF16 (``/proc/cpuinfo``
    flags) that ``ONEDNN_MAX_CPU_ISA`` does not cap below them, qualifies;
    elsewhere oneDNN has no bfloat16 convolution and TensorFlow fails.
    """
    if _has_gpu():
        return
    try:
        with open(cpuinfo) as f:
            flags = set(
                next((ln for ln in f if ln.startswith("flags")), "").split()
            )
    except OSError:
        flags = set()
    found = [flag for flag in _BFLOAT16_CPU_FLAGS if flag in flags]
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if (
        cap
        and cap not in ("ALL", "DEFAULT")
        and not any(word in cap for word in ("AMX", "BF16"))
    ):
        found = []
    if not found:
        raise ValueError(
            "precision='bfloat16' needs a GPU or a CPU with AMX or "
            f"AVX512_BF16 ({' / '.join(_BFLOAT16_CPU_FLAGS)} in "
            f"{cpuinfo}{'; ONEDNN_MAX_CPU_ISA=' + cap if cap else ''}); "
            "this machine has neither: use precision='float32'"
        )


def check_precision_support(precision: str) -> str:
    """The Keras policy of ``precision``, if this machine can train in it.

    Args:
        precision: str. "float32", "bfloat16" or "float16".

    Returns:
        str. The policy name ("float32", "mixed_bfloat16",
        "mixed_float16").

    Raises:
        ValueError: an unknown name, or hardware that cannot run it
            (bfloat16: no GPU and no AMX / AVX512_BF16 CPU; float16: no
            GPU), in one line naming the alternative.
    """
    if precision not in POLICIES:
        raise ValueError(
            f"precision must be one of {list(POLICIES)}; got {precision!r}"
        )
    if precision == "bfloat16":
        check_bfloat16_support()
    elif precision == "float16" and not _has_gpu():
        raise ValueError(
            "precision='float16' needs a GPU: on CPUs TensorFlow computes "
            "float16 convolution gradients in a reference kernel hundreds "
            "of times slower than float32; use precision='bfloat16' (CPUs "
            "with AMX or AVX512_BF16) or 'float32'"
        )
    return POLICIES[precision]


@contextlib.contextmanager
def precision_scope(precision: str) -> Iterator[str]:
    """Sets Keras's global dtype policy for ``precision`` inside the block.

    Models and layers built inside keep the policy; the previous global
    policy is restored on leaving. Checks the hardware first
    (``check_precision_support``).

    Yields:
        str. The policy name.
    """
    policy = check_precision_support(precision)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)
