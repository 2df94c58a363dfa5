"""TensorFlow's oneDNN kernels on every x86 CPU, not only the newest.

TensorFlow's x86 builds carry oneDNN (Intel's deep-learning kernels) but
turn its operations on by default only on CPUs with AVX-512 VNNI, BF16 or
AMX. Elsewhere (an AVX2-only AMD EPYC, most laptops) convolutions run in
TensorFlow's own Eigen kernels, which for this package's models are much
slower: on a 2-vCPU AVX2 AMD EPYC, ``TF_ENABLE_ONEDNN_OPTS=1`` trained the
default conv model 1.57x faster and encoded images 1.84x faster
(``benchmarks/README.md``).

The variable is read once, when TensorFlow is imported, so
``prefer_onednn_kernels`` must run before that. The command line calls it;
in your own program call it first thing:

```python
import keras_bvae

keras_bvae.prefer_onednn_kernels()
import tensorflow as tf  # now with oneDNN kernels
```

A value you set yourself (``TF_ENABLE_ONEDNN_OPTS=0``) is left alone.
"""

from __future__ import annotations

import os
import platform
import sys
import warnings

__all__ = ["prefer_onednn_kernels"]

_X86 = ("x86_64", "amd64", "i386", "i686", "x86")


def prefer_onednn_kernels(environ=None, machine: str | None = None) -> bool:
    """Sets ``TF_ENABLE_ONEDNN_OPTS=1`` where it is unset, on x86 CPUs.

    Args:
        environ: mapping to change; ``os.environ`` if None.
        machine: the CPU architecture; ``platform.machine()`` if None.
            Other architectures (ARM) are left to TensorFlow's default.

    Returns:
        True if this call set the variable, False if it was already set,
        the CPU is not x86, or TensorFlow is already imported (then a
        warning says the call came too late).

    Example:
        ``keras_bvae.prefer_onednn_kernels()`` before ``import tensorflow``.
    """
    environ = os.environ if environ is None else environ
    machine = (machine or platform.machine()).lower()
    if machine not in _X86 or "TF_ENABLE_ONEDNN_OPTS" in environ:
        return False
    if environ is os.environ and "tensorflow" in sys.modules:
        warnings.warn(
            "prefer_onednn_kernels() was called after TensorFlow was "
            "imported, so it has no effect: call it before importing "
            "TensorFlow (or set TF_ENABLE_ONEDNN_OPTS=1 in the environment)",
            stacklevel=2,
        )
        return False
    environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
    return True
