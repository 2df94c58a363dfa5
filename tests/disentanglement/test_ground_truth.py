"""Tests of ``as_ground_truth``: metrics, ``evaluate`` and the callback
accept data objects that do not subclass GroundTruthData."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from support import (
    DSPRITES_NAMES,
    DSPRITES_SIZES,
    FactorVectorData,
    dsprites_like,
    flat_oracle,
    oracle,
    partial_factor_images,
)

from keras_bvae import disentanglement as dis
from keras_bvae.callbacks import DisentanglementCallback
from keras_bvae.datasets.base import GroundTruthData

SMALL = {
    "beta_vae": {"batch_size": 8, "num_train": 200, "num_eval": 100},
    "factor_vae": {
        "batch_size": 8,
        "num_train": 200,
        "num_eval": 100,
        "num_variance_estimate": 300,
    },
    "mig": {"num_train": 500},
    "dci": {
        "num_train": 300,
        "num_test": 100,
        "classifier": RandomForestClassifier(n_estimators=10),
    },
    "sap": {"num_train": 300, "num_test": 100},
    "modularity": {"num_train": 300, "num_test": 200},
    "unsupervised": {"num_train": 300},
}


class PlainData:
    """The five members of the interface, no base class; draws factors as
    GroundTruthData's default does, so scores must match FactorVectorData."""

    factor_names = DSPRITES_NAMES
    factor_sizes = DSPRITES_SIZES
    observation_shape = (5,)

    def sample_factors(self, n, rng):
        assert isinstance(rng, np.random.Generator)
        cols = [rng.integers(0, size, n) for size in self.factor_sizes]
        return np.stack(cols, axis=1)

    def sample_observations_from_factors(self, factors, rng):
        return np.asarray(factors, dtype=np.float32)


class LibStyleData:
    """A data object written for disentanglement_lib: RandomState calls,
    num_factors and factors_num_values, no factor names."""

    def __init__(self, sizes=(3, 4, 5)):
        self.factors_num_values = list(sizes)
        self.calls = 0

    @property
    def num_factors(self):
        return len(self.factors_num_values)

    @property
    def observation_shape(self):
        return [self.num_factors]

    def sample_factors(self, num, random_state):
        assert isinstance(random_state, np.random.RandomState)
        self.calls += 1
        return np.stack(
            [
                random_state.randint(s, size=num)
                for s in self.factors_num_values
            ],
            axis=1,
        )

    def sample_observations_from_factors(self, factors, random_state):
        assert isinstance(random_state, np.random.RandomState)
        return factors.astype(np.float64)


@pytest.mark.parametrize("metric", sorted(SMALL))
def test_plain_object_scores_as_the_subclass_does(metric):
    fn = dis.METRICS[metric]
    plain = fn(PlainData(), oracle, seed=5, **SMALL[metric])
    subclass = fn(dsprites_like(), oracle, seed=5, **SMALL[metric])
    plain.pop("classifier", None), subclass.pop("classifier", None)
    assert plain == subclass


@pytest.mark.parametrize("metric", sorted(SMALL))
def test_disentanglement_lib_object_oracle_scores_high(metric):
    data = LibStyleData()
    result = dis.METRICS[metric](data, oracle, seed=1, **SMALL[metric])
    assert data.calls > 0
    if metric != "unsupervised":  # the only metric that uses no labels
        assert result["factors"] == ["factor_0", "factor_1", "factor_2"]
    score = {
        "beta_vae": "eval_accuracy",
        "factor_vae": "eval_accuracy",
        "mig": "mig",
        "dci": "disentanglement",
        "sap": "sap",
        "modularity": "modularity",
    }.get(metric)
    if score is None:  # unsupervised: independent factors, no dependence
        assert result["gaussian_total_correlation"] < 0.05
        return
    # A small random forest spreads some importance over other dimensions.
    floor = {"sap": 0.2, "mig": 0.9, "dci": 0.7}.get(metric, 0.95)
    assert result[score] >= floor
    again = dis.METRICS[metric](LibStyleData(), oracle, seed=1, **SMALL[metric])
    assert again[score] == result[score]


def test_evaluate_accepts_both_kinds():
    for data in (PlainData(), LibStyleData()):
        results = dis.evaluate(
            data, oracle, ["mig", "sap"], protocol="quick", seed=2
        )
        assert results["mig"]["mig"] > 0.5
        assert results["sap"]["sap"] > 0.05


def test_keeping_method_of_a_plain_object_is_used():
    # A plain wrapper around a partial data set that forwards its keeping
    # method: the oracle's FactorVAE votes stay exact only if it is used.
    base = partial_factor_images(fraction=0.1)

    class Forwarding:
        factor_names = base.factor_names
        factor_sizes = base.factor_sizes
        observation_shape = base.observation_shape
        sample_factors = staticmethod(base.sample_factors)
        sample_observations_from_factors = staticmethod(
            base.sample_observations_from_factors
        )
        sample_observations_keeping = staticmethod(
            base.sample_observations_keeping
        )

    result = dis.factor_vae_score(
        Forwarding(), flat_oracle, seed=0, **SMALL["factor_vae"]
    )
    assert result["eval_accuracy"] == 1.0


def test_incomplete_object_without_keeping_method_warns():
    class Incomplete(PlainData):
        is_complete = False

    with pytest.warns(UserWarning, match="is_complete False"):
        dis.beta_vae_score(Incomplete(), oracle, seed=0, **SMALL["beta_vae"])


def test_adapter_returns_ground_truth_data_and_checks_factors():
    assert dis.as_ground_truth(dsprites_like()).__class__ is FactorVectorData
    adapted = dis.as_ground_truth(LibStyleData((2, 7)))
    assert isinstance(adapted, GroundTruthData)
    assert adapted.factor_sizes == (2, 7)
    assert adapted.observation_shape == (2,)

    class BadFactors(PlainData):
        def sample_factors(self, n, rng):
            return np.full((n, 5), 99)

    with pytest.raises(ValueError, match="factor 0 has class 99"):
        dis.as_ground_truth(BadFactors()).sample_factors(3, 0)


@pytest.mark.parametrize(
    "obj, message",
    [
        (np.zeros((3, 5)), "lacks factor_names, factor_sizes"),
        (
            type(
                "NoRender", (), {"factor_names": ("a",), "factor_sizes": (2,)}
            )(),
            "lacks observation_shape, sample_observations_from_factors",
        ),
        (
            type("Lib", (), {"factors_num_values": [2], "num_factors": 1})(),
            "disentanglement_lib-style data object, observation_shape, "
            "sample_factors, sample_observations_from_factors",
        ),
    ],
)
def test_unusable_objects_are_refused_naming_what_is_missing(obj, message):
    with pytest.raises(ValueError, match=message):
        dis.as_ground_truth(obj)
    with pytest.raises(ValueError, match=message):
        dis.mig(obj, oracle)


def test_callback_accepts_a_plain_object():
    callback = DisentanglementCallback(LibStyleData(), metrics=["mig"])
    assert isinstance(callback.data, GroundTruthData)
    assert callback.data.factor_sizes == (3, 4, 5)
