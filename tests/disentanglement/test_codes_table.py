"""Tests of ``CodesTable``: every metric scores the same on the table as on
the data, and data that renders randomly is refused."""

import io
import types

import numpy as np
import pytest
from support import FactorVectorData, partial_factor_images

from keras_bvae.commands.evaluate import evaluate_model
from keras_bvae.datasets import DSpritesSimulator, ImageSet
from keras_bvae.disentanglement import METRICS, CodesTable, evaluate, progress
from keras_bvae.disentanglement.codes_table import worth_tabulating

SIZES = (3, 4, 5)
_MIX = np.random.default_rng(1).normal(size=(3, 4))


class OneImageEach(FactorVectorData):
    renders_deterministically = True


def mixed(x):
    # A deterministic, entangled, non-linear code of each observation.
    x = np.asarray(x, dtype=np.float64)
    return x @ _MIX + 0.3 * np.sin(3 * x @ _MIX[:, ::-1])


SMALL = {
    "beta_vae": {"num_train": 30, "num_eval": 20, "batch_size": 8},
    "factor_vae": {
        "num_train": 30,
        "num_eval": 20,
        "batch_size": 8,
        "num_variance_estimate": 100,
    },
    "mig": {"num_train": 200},
    "dci": {"num_train": 200, "num_test": 100},
    "sap": {"num_train": 200, "num_test": 100},
    "modularity": {"num_train": 200, "num_test": 100},
    "unsupervised": {"num_train": 200},
}


def test_table_holds_the_code_of_every_combination():
    data = OneImageEach(SIZES)
    table = CodesTable(data, mixed, batch_size=7)
    assert table.codes.shape == (60, 4)
    factors = np.array([[2, 3, 4], [0, 0, 0], [1, 2, 3]])
    rows = table.data.sample_observations_from_factors(factors)
    np.testing.assert_array_equal(
        table.representation(rows), mixed(factors.astype(np.float32))
    )


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_every_metric_scores_the_same_on_the_table(metric):
    data = OneImageEach(SIZES)
    table = CodesTable(data, mixed)
    direct = METRICS[metric](data, mixed, seed=5, **SMALL[metric])
    looked_up = METRICS[metric](
        table.data, table.representation, seed=5, **SMALL[metric]
    )
    assert looked_up == direct


def test_table_progress_counts_every_combination():
    stream = io.StringIO()
    with progress.reporting("table", stream=stream, interval=0) as line:
        CodesTable(OneImageEach(SIZES), mixed)
    assert line.done["images"] == line.totals["images"] == 60


@pytest.mark.parametrize(
    "data",
    [
        FactorVectorData(SIZES),
        DSpritesSimulator(variant="noisy"),
        partial_factor_images(0.5),
    ],
    ids=["undeclared", "noisy-dsprites", "incomplete-array"],
)
def test_data_that_renders_randomly_is_refused(data):
    with pytest.raises(ValueError, match="renders_deterministically"):
        CodesTable(data, mixed)


def test_binary_dsprites_renders_the_same_whatever_the_rng():
    data = DSpritesSimulator()
    assert data.renders_deterministically
    factors = data.sample_factors(64, rng=0)
    np.testing.assert_array_equal(
        data.sample_observations_from_factors(factors, rng=1),
        data.sample_observations_from_factors(factors, rng=2),
    )


def test_evaluate_with_and_without_table_agree():
    data = OneImageEach(SIZES)
    model = types.SimpleNamespace(
        encode=lambda x, batch_size, precision: mixed(x)
    )
    metrics = ["beta_vae", "mig"]
    args = (model, data, metrics, "quick", 3)
    plain = evaluate_model(*args, codes_table="off")
    tabled = evaluate_model(*args, codes_table="on")
    assert plain["codes_table"] is None
    assert tabled["codes_table"]["images"] == 60
    for name in metrics:
        a, b = dict(plain["scores"][name]), dict(tabled["scores"][name])
        a.pop("seconds"), b.pop("seconds")
        assert a == b
    assert worth_tabulating(data, ["beta_vae"], "full")
    assert not worth_tabulating(data, ["beta_vae"], "quick")
    assert not worth_tabulating(data, ["mig", "dci"], "full")
    assert not worth_tabulating(FactorVectorData(SIZES), ["beta_vae"], "full")


def test_auto_leaves_unlabelled_data_to_the_label_free_metrics():
    images = ImageSet(np.zeros((8, 4, 4, 1), np.uint8))
    scores = evaluate(
        images,
        lambda x: np.asarray(x).reshape(len(x), -1)[:, :2] + 0.0,
        metrics=["unsupervised"],
        codes_table="auto",
        num_train=8,
    )
    assert set(scores) == {"unsupervised"}


def test_library_evaluate_takes_the_table_option():
    data = OneImageEach(SIZES)
    kwargs = {"metrics": ["mig", "sap"], "protocol": "quick", "seed": 2}
    plain = evaluate(data, mixed, **kwargs)
    assert evaluate(data, mixed, codes_table="on", **kwargs) == plain
    with pytest.raises(ValueError, match="codes_table must be"):
        evaluate(data, mixed, codes_table="yes", **kwargs)
