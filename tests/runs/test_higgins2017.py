"""The higgins2017 study: the paper's recipe and grid."""

import numpy as np
import pytest

from keras_bvae.runs.grid import RunSpec
from keras_bvae.runs.higgins2017 import higgins2017
from keras_bvae.runs.study import get_study


@pytest.mark.parametrize("bad", [{"steps": 25, "score_every": 10}])
def test_steps_must_be_whole_epochs(bad):
    with pytest.raises(ValueError, match="multiple of score_every"):
        higgins2017(**bad)


def test_the_papers_recipe():
    study = higgins2017()
    base = study.base
    assert (base.architecture, base.optimizer, base.learning_rate) == (
        "higgins",
        "adagrad",
        1e-2,
    )
    assert (base.latent_dim, base.likelihood, base.batch_size) == (
        10,
        "bernoulli",
        64,
    )
    assert study.steps == 300_000
    table = [(r.latent_dim, r.beta, r.seed) for r in study.table_runs]
    assert table == [(10, b, s) for s in range(3) for b in (4.0, 1.0)]
    # Every latent size of the figure has its raw beta = 1 point.
    for m in (5, 10, 20):
        assert RunSpec(m, seed=0, beta=1.0) in study.figure_runs
    assert len({r.run_id for r in study.runs}) == len(study.runs)
    assert np.isclose(
        min(r.normalized_beta or 1 for r in study.figure_runs), 0.0005
    )


def test_get_study_finds_it_by_name():
    assert get_study("higgins2017", steps=20_000, seeds=1).steps == 20_000
    with pytest.raises(ValueError, match="unknown study"):
        get_study("higgins2018")
