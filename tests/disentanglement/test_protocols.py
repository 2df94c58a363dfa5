"""Tests of the protocol tables, ``SCORE_KEYS`` and ``evaluate``."""

import inspect

import pytest
from sklearn.ensemble import RandomForestClassifier
from support import FactorVectorData, oracle

from keras_bvae import disentanglement as dis

DATA = FactorVectorData((3, 4, 5))


def test_full_protocol_is_disentanglement_lib():
    full = dis.PROTOCOLS["full"]
    assert full["beta_vae"] == {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
    }
    assert full["factor_vae"] == {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
        "num_variance_estimate": 10000,
        "prune_threshold": 0.05,
    }
    assert full["mig"] == {"num_train": 10000, "num_bins": 20}
    assert full["dci"] == {"num_train": 10000, "num_test": 5000}
    assert full["sap"] == {"num_train": 10000, "num_test": 5000}


def test_quick_protocol_is_smaller_for_every_metric():
    for metric, full in dis.PROTOCOLS["full"].items():
        quick = dis.PROTOCOLS["quick"][metric]
        assert quick.keys() == full.keys()
        assert quick["num_train"] < full["num_train"]


def test_evaluate_runs_each_metric_with_overrides():
    results = dis.evaluate(
        DATA,
        oracle,
        protocol="quick",
        seed=3,
        encode_batch_size=512,
        dci={"classifier": RandomForestClassifier(n_estimators=20)},
        mig={"num_train": 500},
    )
    assert list(results) == ["beta_vae", "factor_vae", "mig", "dci", "sap"]
    for result in results.values():
        assert result["protocol"] == "quick"
        assert result["seed"] == 3
    assert results["beta_vae"]["num_train"] == 1000
    assert results["mig"]["num_train"] == 500
    assert "RandomForest" in results["dci"]["classifier"]
    assert results["beta_vae"]["eval_accuracy"] >= 0.95
    assert results["dci"]["disentanglement"] >= 0.9


def test_evaluate_is_reproducible_and_matches_direct_call():
    a = dis.evaluate(DATA, oracle, ["mig"], protocol="quick", seed=1)
    direct = dis.mig(
        DATA, oracle, seed=1, **dis.protocol_settings("mig", "quick")
    )
    assert a["mig"] == {**direct, "protocol": "quick"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metrics": ["beta_vae", "higgins"]}, "unknown metric 'higgins'"),
        ({"protocol": "fast"}, "unknown protocol 'fast'"),
        ({"metrics": []}, "at least one metric"),
        ({"metrics": ["mig"], "seed": 1.5}, "seed must be an integer; got 1.5"),
    ],
)
def test_evaluate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dis.evaluate(DATA, oracle, **kwargs)


@pytest.mark.parametrize("metric", sorted(dis.METRICS))
def test_function_defaults_are_the_full_protocol(metric):
    params = inspect.signature(dis.METRICS[metric]).parameters
    for key, value in dis.PROTOCOLS["full"][metric].items():
        assert params[key].default == value, key


def test_score_keys_are_the_scalar_scores_of_each_result():
    from keras_bvae.callbacks import disentanglement as callback_module

    assert callback_module.SCORE_KEYS is dis.SCORE_KEYS
    assert dis.SCORE_KEYS["mig"] == ("mig",)
    assert set(dis.SCORE_KEYS) == set(dis.METRICS)
    results = dis.evaluate(
        DATA,
        oracle,
        list(dis.METRICS),
        protocol="quick",
        seed=0,
        dci={"classifier": RandomForestClassifier(n_estimators=5)},
    )
    for metric, keys in dis.SCORE_KEYS.items():
        for key in keys:
            assert isinstance(results[metric][key], float), (metric, key)
