"""Tests of the metrics' shared helpers, and the toy data sets the other
test_disentanglement_* modules import.

FactorVectorData's "observation" is the factor vector itself, so the
identity function is the oracle representation and every metric can be
checked in milliseconds without any rendering. ``partial_factor_images`` is
the same idea on an ArrayGroundTruthData that lacks most combinations.
"""

import numpy as np
import pytest
from support import (
    DSPRITES_SIZES,
    CallLog,
    FactorVectorData,
    dsprites_like,
    flat_oracle,
    oracle,
    partial_factor_images,
)

from keras_bvae.datasets.base import check_factors
from keras_bvae.disentanglement import _utils


def test_check_count_rejects_bad_values():
    assert _utils.check_count("n", 3) == 3
    for bad in (0, -2, 2.5, "3", True, None):
        with pytest.raises(ValueError, match="n must be"):
            _utils.check_count("n", bad)


def test_resolve_factors_accepts_names_and_indices():
    data = dsprites_like()
    np.testing.assert_array_equal(_utils.resolve_factors(data, None), range(5))
    np.testing.assert_array_equal(
        _utils.resolve_factors(data, ["pos_x", 0]), [3, 0]
    )
    with pytest.raises(ValueError, match="'colour'"):
        _utils.resolve_factors(data, ["colour"])
    with pytest.raises(ValueError, match="factor index 7"):
        _utils.resolve_factors(data, [7])
    with pytest.raises(ValueError, match="duplicates"):
        _utils.resolve_factors(data, [1, "scale"])
    with pytest.raises(ValueError, match="at least one"):
        _utils.resolve_factors(data, [])


def test_render_and_encode_uses_large_batches_in_order():
    data = dsprites_like()
    factors = data.sample_factors(1000, 0)
    log = CallLog(oracle)
    codes = _utils.render_and_encode(
        data, log, factors, np.random.default_rng(0), batch_size=300
    )
    assert log.sizes == [300, 300, 300, 100]
    np.testing.assert_array_equal(codes, factors)


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: np.zeros(len(x)), r"shape \(n, D\)"),
        (lambda x: np.zeros((len(x) - 1, 3)), r"n=10"),
        (lambda x: np.full((len(x), 3), np.nan), "non-finite value nan"),
        (lambda x: np.full((len(x), 3), np.inf), "non-finite value inf"),
        (lambda x: np.zeros((len(x), 0)), "no dimensions"),
    ],
)
def test_encode_rejects_bad_representations(fn, message):
    with pytest.raises(ValueError, match=message):
        _utils.encode(fn, np.zeros((10, 5), np.float32), batch_size=16)


def test_discretize_equal_width_bins():
    codes = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [10.0, 5.0]])
    bins = _utils.discretize(codes, 5)
    # Column 0 spans [0, 10] in bins of width 2; column 1 is constant.
    np.testing.assert_array_equal(bins[:, 0], [0, 0, 1, 4])
    assert len(np.unique(bins[:, 1])) == 1


def test_entropy_and_mutual_information_match_hand_computation():
    x = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    assert _utils.entropy(x) == pytest.approx(np.log(4))
    # y = x // 2 is a function of x: I(x; y) = H(y) = log 2.
    y = x // 2
    mi = _utils.mutual_information_matrix(x[:, None], y[:, None])
    assert mi[0, 0] == pytest.approx(np.log(2))
    # Joint table [[2, 1], [1, 2]] / 6, computed by hand.
    a = np.array([0, 0, 0, 1, 1, 1])
    b = np.array([0, 0, 1, 0, 1, 1])
    expected = 2 * (2 / 6) * np.log((2 / 6) / 0.25) + 2 * (1 / 6) * np.log(
        (1 / 6) / 0.25
    )
    mi = _utils.mutual_information_matrix(a[:, None], b[:, None])
    assert mi[0, 0] == pytest.approx(expected)


def test_stream_codes_keeps_chunk_order_and_reports_render_errors():
    data = dsprites_like()
    chunks = [data.sample_factors(n, i) for i, n in enumerate((5, 7, 3))]
    out = list(
        _utils.stream_codes(
            data, oracle, iter(chunks), np.random.default_rng(0), 4
        )
    )
    assert len(out) == 3
    for codes, factors in zip(out, chunks):
        np.testing.assert_array_equal(codes, factors)

    bad = [chunks[0], np.full((2, 5), 99)]  # class 99 is out of range
    broken = FactorVectorData(DSPRITES_SIZES)
    broken.sample_observations_from_factors = lambda f, rng=None: check_factors(
        f, DSPRITES_SIZES
    )
    with pytest.raises(ValueError, match="class 99"):
        list(
            _utils.stream_codes(
                broken, oracle, iter(bad), np.random.default_rng(0), 4
            )
        )


def test_stream_codes_rejects_changing_code_size():
    data = dsprites_like()
    sizes = iter([3, 4])

    def changing(x):
        return np.zeros((len(x), next(sizes)))

    chunks = [data.sample_factors(2, 0), data.sample_factors(2, 1)]
    with pytest.raises(ValueError, match="differing code sizes 3 and 4"):
        list(
            _utils.stream_codes(
                data, changing, iter(chunks), np.random.default_rng(0), 8
            )
        )


def test_stream_codes_renders_tuple_chunks_keeping_their_columns():
    data = partial_factor_images()
    assert not data.is_complete
    # Shape 0 with every other factor at its last class: a combination this
    # data set lacks, so the served image depends on what is kept.
    request = np.array([[0, 5, 9, 7, 7]] * 40)
    assert not (data.factors == request[0]).all(axis=1).any()
    keep = np.arange(40) % 5
    chunks = [
        (request[:20], keep[:20]),
        request[20:],
        (request[20:], keep[20:]),
    ]
    out = list(
        _utils.stream_codes(
            data, flat_oracle, iter(chunks), np.random.default_rng(0), 8
        )
    )
    served = np.rint(np.concatenate([out[0], out[2]])).astype(int)
    rows = np.arange(40)
    np.testing.assert_array_equal(served[rows, keep], request[rows, keep])
    # The plain chunk keeps nothing: its nearest images lose some columns.
    plain = np.rint(out[1]).astype(int)
    assert (plain[np.arange(20), keep[20:]] != request[0, keep[20:]]).any()
