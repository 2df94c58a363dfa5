"""Tests of the inference helpers' batch size and precision options."""

import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import inference
from keras_bvae.inference import check_bfloat16_support


def _cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 avx2 {flags}\n")
    return str(path)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)


@pytest.mark.parametrize("flag", ["amx_bf16", "avx512_bf16"])
def test_bfloat16_cpus_are_accepted(tmp_path, no_gpu, flag):
    check_bfloat16_support(_cpuinfo(tmp_path, f"avx512f {flag}"))


def test_cpus_without_bfloat16_are_refused_clearly(tmp_path, no_gpu):
    with pytest.raises(ValueError, match="AMX or AVX512_BF16.*float32"):
        check_bfloat16_support(_cpuinfo(tmp_path, "avx512f"))


def test_an_isa_cap_below_bfloat16_is_refused(tmp_path, no_gpu, monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    with pytest.raises(ValueError, match="ONEDNN_MAX_CPU_ISA=AVX2"):
        check_bfloat16_support(_cpuinfo(tmp_path, "amx_bf16"))


def test_batch_size_does_not_change_the_codes(small_model, images):
    model = small_model()
    reference = model.encode(images, batch_size=256)
    # Equal up to float32 rounding: on some CPUs (an AMD EPYC with AVX2) the
    # kernels sum in an order that depends on the batch size.
    np.testing.assert_allclose(
        model.encode(images, batch_size=5), reference, rtol=1e-5, atol=1e-7
    )


def test_unknown_precision_is_refused(small_model, images):
    with pytest.raises(ValueError, match="precision must be one of"):
        small_model().encode(images, precision="float16")


def test_bfloat16_codes_are_close_and_follow_the_weights(small_model, images):
    try:
        check_bfloat16_support()
    except ValueError as error:
        pytest.skip(str(error))
    model = small_model()
    exact = model.encode(images)
    low = model.encode(images, precision="bfloat16")
    assert low.dtype == np.float32 and low.shape == exact.shape
    assert not np.array_equal(low, exact)  # it did compute in bfloat16
    np.testing.assert_allclose(low, exact, atol=0.02 * np.abs(exact).max())
    # Retrained (here: rescaled) weights are used at the next call.
    last = model.encoder.weights[-1]
    last.assign(last + 1.0)
    shifted = model.encode(images, precision="bfloat16")
    np.testing.assert_allclose(shifted, low + 1.0, atol=0.05)
    assert inference.PRECISIONS == ("float32", "bfloat16")
