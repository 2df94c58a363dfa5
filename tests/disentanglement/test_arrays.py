"""The metrics on arrays (codes and factors from any framework) are the
maths of the data-based metrics: the same samples give the same scores."""

import numpy as np
import pytest
from support import FactorVectorData

from keras_bvae import disentanglement as dis
from keras_bvae.disentanglement import _utils

SIZES = (3, 4, 5)
MIXING = np.random.default_rng(0).normal(size=(len(SIZES), 4))


def mixed(x):
    """A fixed linear code of the factors, 4 dimensions."""
    return np.asarray(x, np.float64) @ MIXING


def test_mig_on_arrays_equals_the_data_based_mig():
    data = FactorVectorData(SIZES)
    got = dis.mig(data, mixed, seed=3, num_train=500)
    factors, codes = _utils.sample_codes(data, mixed, 500, 3, 4096)
    result = dis.mig_from_codes(codes, factors, factor_names=data.factor_names)
    assert result == {k: got[k] for k in result}
    assert set(got) - set(result) == {"seed", "encode_batch_size", "num_train"}


@pytest.mark.parametrize("name", ["dci", "sap", "modularity_explicitness"])
def test_train_test_metrics_on_arrays_equal_the_data_based_ones(name):
    data = FactorVectorData(SIZES)
    got = getattr(dis, name)(data, mixed, seed=5, num_train=300, num_test=200)
    rng = np.random.default_rng(5)
    v_train, z_train, v_test, z_test = _utils.sample_train_test_codes(
        data, mixed, 300, 200, rng, 4096
    )
    # The same generator, where the data-based metric goes on with it.
    result = getattr(dis, f"{name}_from_codes")(
        z_train,
        v_train,
        z_test,
        v_test,
        seed=rng,
        factor_names=data.factor_names,
    )
    assert result == {k: got[k] for k in result}
    assert set(got) - set(result) == {
        "seed",
        "encode_batch_size",
        "num_train",
        "num_test",
    }


def test_unsupervised_scores_on_arrays_equal_the_data_based_ones():
    data = FactorVectorData(SIZES)
    got = dis.unsupervised_scores(data, mixed, seed=2, num_train=400)
    _, codes = _utils.sample_codes(data, mixed, 400, 2, 4096)
    result = dis.unsupervised_scores_from_codes(codes)
    assert result == {k: got[k] for k in result}


def test_codes_from_another_framework_score_as_expected():
    rng = np.random.default_rng(1)
    factors = rng.integers(0, 4, size=(2000, 2))
    # float32 codes as a PyTorch or JAX model returns them: dimension 0
    # holds factor 0, dimension 1 factor 1, dimension 2 noise.
    codes = np.column_stack([factors, rng.normal(size=2000)]).astype(np.float32)
    result = dis.mig_from_codes(codes, factors)
    assert result["mig"] > 0.9
    assert list(result["per_factor"]) == ["factor_0", "factor_1"]
    shuffled = dis.mig_from_codes(rng.permutation(codes), factors)
    assert shuffled["mig"] < 0.1
    dci = dis.dci_from_codes(
        codes[:1500], factors[:1500], codes[1500:], factors[1500:]
    )
    assert dci["disentanglement"] > 0.9 and dci["informativeness_test"] > 0.9


@pytest.mark.parametrize(
    ("codes", "factors", "message"),
    [
        (np.zeros((5, 2)), np.zeros((4, 1), int), "same n"),
        (np.full((5, 2), np.nan), np.zeros((5, 1), int), "NaN or inf"),
        (np.zeros((5, 2)), np.full((5, 1), 0.5), "discrete class labels"),
        (np.zeros((5, 1)), np.arange(5)[:, None], "at least 2 code"),
    ],
)
def test_bad_arrays_are_refused(codes, factors, message):
    with pytest.raises(ValueError, match=message):
        dis.mig_from_codes(codes, factors)
