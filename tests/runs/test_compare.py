"""The family comparison: grid, resumable results with the factors that own
a latent, table, figure and the CLI."""

import json

import numpy as np
import pytest
from support import Squares

from keras_bvae.cli import main
from keras_bvae.runs import compare
from keras_bvae.runs.sweep import read_results
from keras_bvae.runs.training import TrainConfig

TINY = TrainConfig(
    architecture="higgins", batch_size=8, epochs=1, steps_per_epoch=2
)
VALUES = {"beta_vae": [4.0], "dip_vae_i": [2.0]}


def test_default_values_come_from_the_study_grids():
    values = compare.default_values()
    assert list(values) == list(compare.FAMILY)
    assert values["beta_vae"] == (2.0, 6.0)
    assert values["factor_vae"] == (20.0, 40.0)
    assert values["annealed_vae"] == (10.0, 50.0)
    grid = compare.comparison_grid(values, seeds=[0, 1])
    assert len(grid) == 24 and {g.seed for g in grid[:12]} == {0}
    with pytest.raises(ValueError, match="unknown objective"):
        compare.comparison_grid({"nope": [1.0]})


def test_comparison_trains_scores_labels_and_resumes(tmp_path, monkeypatch):
    out = str(tmp_path / "cmp")
    kwargs = dict(
        values=VALUES,
        seeds=[3],
        latent_dim=2,
        base_config=TINY,
        data=Squares(),
        metrics=["mig"],
        label_samples=200,
        verbose=0,
    )
    rows = compare.run_comparison(out, **kwargs)
    assert len(rows) == 2 and all(r["status"] == "ok" for r in rows)
    assert {r["objective"] for r in rows} == {"beta_vae", "dip_vae_i"}
    for row in rows:
        assert 0.0 <= row["mig"] <= 1.0
        owned = row["factor_latents"].split("+")
        assert set(owned) <= {"x", "y", "none"}
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| dip_vae_i lambda_od=2 | 3 |" in table
    assert "| beta_vae beta=4 | 3 |" in table
    assert (tmp_path / "cmp" / "comparison.png").stat().st_size > 5000
    summary = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert summary["beta_vae beta=4"][0]["seed"] == 3

    # Rerunning trains nothing and keeps every row.
    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr("keras_bvae.runs.training.train", no_training)
    again = compare.run_comparison(out, **kwargs)
    assert [r["finished_utc"] for r in again] == [
        r["finished_utc"] for r in read_results(out)
    ]
    assert len(again) == 2


def test_table_lists_the_seeds_values_of_each_score():
    rows = [
        {
            "status": "ok",
            "objective": "factor_vae",
            "hyperparameter": "gamma",
            "value": 20.0,
            "seed": s,
            "mig": m,
            "factor_latents": "x",
        }
        for s, m in [(0, 0.25), (1, 0.35)]
    ]
    table = compare.comparison_table(rows, scores=["mig", "sap"])
    assert "| factor_vae gamma=20 | 0, 1 | 0.30 (0.25, 0.35) | x; x |" in table
    assert "sap" not in table  # no run has it


def test_cli_refuses_values_of_an_objective_not_compared(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--out", str(tmp_path), "--values", "factor_vae"])
    assert "NAME=V1,V2" in capsys.readouterr().err
    code = main(
        [
            "compare",
            "--out",
            str(tmp_path),
            "--objectives",
            "beta_vae",
            "--values",
            "factor_vae=10,20",
        ]
    )
    assert code != 0
    assert "not in --objectives" in capsys.readouterr().err
    assert not np.any([p.suffix == ".csv" for p in tmp_path.iterdir()])


def test_rows_without_headline_scores_show_their_other_scores():
    rows = [
        {
            "status": "ok",
            "objective": "dip_vae_i",
            "hyperparameter": "lambda_od",
            "value": 2.0,
            "seed": s,
            "udr": u,
        }
        for s, u in [(0, 0.4), (1, 0.6)]
    ]
    assert "0.50 (0.40, 0.60)" in compare.comparison_table(rows)
    # A row of a sweep made before the value column: named by its beta.
    old = {"status": "ok", "beta": 4.0, "seed": 0, "mig": 0.1}
    assert "| beta_vae beta=4 | 0 |" in compare.comparison_table([old])
    with pytest.raises(ValueError, match="unknown objectives"):
        compare.default_values(["factor_vae", "tcvae"])
