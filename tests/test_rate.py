import math

import numpy as np
import pytest

from keras_bvae.rate import rate_decomposition


def oracle_posteriors(n=2000, seed=0):
    """Four latents whose split is known:
    z0 holds a factor of 8 equally likely values, with narrow posteriors
    (information log 8, the rest mismatch);
    z1 is the prior itself (nothing);
    z2 has a narrowed posterior at 0 for every image (mismatch only);
    z3 is a Gaussian channel whose aggregate is the prior (information
    only, 0.5 log(1 / 0.25))."""
    rng = np.random.default_rng(seed)
    mean = np.zeros((n, 4))
    logvar = np.zeros((n, 4))
    mean[:, 0] = rng.integers(8, size=n) - 3.5
    logvar[:, 0] = math.log(0.01**2)
    logvar[:, 2] = math.log(0.1**2)
    mean[:, 3] = rng.normal(0.0, math.sqrt(0.75), size=n)
    logvar[:, 3] = math.log(0.25)
    return mean, logvar


def test_information_and_mismatch_of_known_posteriors():
    parts = rate_decomposition(*oracle_posteriors())
    info, mismatch = parts["information"], parts["marginal_kl"]
    assert info[0] == pytest.approx(math.log(8), abs=0.03)
    assert mismatch[0] > 1.0  # narrow spikes are far from N(0, 1)
    assert parts["kl"][1] == pytest.approx(0.0, abs=1e-12)
    assert abs(info[1]) < 0.03 and abs(info[2]) < 0.03
    assert mismatch[2] == pytest.approx(0.5 * (0.01 - math.log(0.01) - 1), 0.02)
    assert info[3] == pytest.approx(0.5 * math.log(4.0), abs=0.05)
    assert abs(mismatch[3]) < 0.05
    np.testing.assert_allclose(parts["kl"], info + mismatch)


def test_information_saturates_at_log_n_for_a_code_finer_than_the_sample():
    n = 500
    mean = np.linspace(-2.0, 2.0, n)[:, None]
    logvar = np.full((n, 1), math.log(1e-5**2))
    parts = rate_decomposition(mean, logvar)
    assert parts["information"][0] == pytest.approx(math.log(n), abs=1e-3)


def test_chunking_does_not_change_the_estimate():
    mean, logvar = oracle_posteriors(n=300)
    a = rate_decomposition(mean, logvar, chunk=7)
    b = rate_decomposition(mean, logvar, chunk=300)
    np.testing.assert_allclose(a["information"], b["information"])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="both be"):
        rate_decomposition(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        rate_decomposition(np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="finite"):
        rate_decomposition(np.full((3, 2), np.nan), np.zeros((3, 2)))
