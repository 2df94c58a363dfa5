"""Sweeps: grid, resumable results CSV, summaries, figures and the CLI."""

import csv
import os

import numpy as np
import pytest
from support import Squares

from keras_bvae.cli import main
from keras_bvae.datasets import ImageSet
from keras_bvae.disentanglement import UnlabelledDataError
from keras_bvae.runs import sweep, sweep_plots, training
from keras_bvae.runs.training import TrainConfig

TINY = TrainConfig(
    architecture="higgins",
    batch_size=8,
    epochs=1,
    steps_per_epoch=3,
    backup_every=100,
)
METRIC_SETTINGS = {
    "beta_vae": {"num_train": 12, "num_eval": 8, "batch_size": 4},
    "mig": {"num_train": 40},
}
GRID = sweep.make_grid([2, 3], normalized_betas=[0.001], betas=[4.0])


def run_tiny(out, **kwargs):
    return sweep.run_sweep(
        GRID,
        str(out),
        base_config=TINY,
        data=Squares(),
        metrics=["beta_vae", "mig"],
        metric_settings=METRIC_SETTINGS,
        eval_images=16,
        **kwargs,
    )


def counting_train(monkeypatch, fail_on_call=None):
    """Wraps training.train to record run folders (and fail on call k)."""
    calls = []
    real = training.train

    def wrapper(config, *args, **kwargs):
        calls.append(os.path.basename(config.output_dir))
        if len(calls) == fail_on_call:
            raise KeyboardInterrupt("simulated kill")
        return real(config, *args, **kwargs)

    monkeypatch.setattr(training, "train", wrapper)
    return calls


def test_make_grid_is_seed_major_and_validates():
    grid = sweep.make_grid([5, 10], [0.01], betas=[1], seeds=[0, 1])
    assert [g.run_id for g in grid[:4]] == [
        "m5_nb0.01_s0",
        "m5_b1_s0",
        "m10_nb0.01_s0",
        "m10_b1_s0",
    ]
    assert len(grid) == 8 and {g.seed for g in grid[4:]} == {1}
    assert grid[0].raw_beta(4096) == pytest.approx(0.01 * 4096 / 5)
    assert grid[1].norm_beta(4096) == pytest.approx(5 / 4096)
    with pytest.raises(ValueError, match="grid is empty"):
        sweep.make_grid([5], [], [])
    with pytest.raises(ValueError, match="repeats runs"):
        sweep.make_grid([5], [0.01, 0.01])
    with pytest.raises(ValueError, match="got -1.0"):
        sweep.make_grid([5], betas=[-1])
    with pytest.raises(ValueError, match="exactly one"):
        sweep.RunSpec(latent_dim=5, beta=1.0, normalized_beta=0.1)


def test_sweep_end_to_end_resumes_after_interruption(
    tmp_path, monkeypatch, capsys
):
    # The second run is "killed" before it trains: the first row is kept.
    calls = counting_train(monkeypatch, fail_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        run_tiny(tmp_path)
    first = sweep.read_results(str(tmp_path))
    assert [r["run_id"] for r in first] == ["m2_nb0.001_s0"]
    assert not any(
        p.name.startswith(".") or "tmp" in p.name for p in tmp_path.iterdir()
    )

    # The rerun trains only the three missing runs.
    calls = counting_train(monkeypatch)
    rows = run_tiny(tmp_path)
    assert calls == ["m2_b4_s0", "m3_nb0.001_s0", "m3_b4_s0"]
    assert [r["run_id"] for r in rows] == [g.run_id for g in GRID]
    assert sweep.read_results(str(tmp_path)) == rows
    # The first run's row is kept (udr is recomputed over the seeds).
    assert {k: v for k, v in rows[0].items() if k != "udr"} == first[0]
    out = capsys.readouterr().out
    assert "1 already in" in out and "3 to train" in out
    assert "run 3/3 m3_b4_s0" in out and "ETA" in out

    for row in rows:
        assert row["status"] == "ok"
        assert row["steps"] == 3 and row["protocol"] == "quick"
        assert 0.0 <= row["beta_vae_eval_accuracy"] <= 1.0
        assert 0.0 <= row["mig"] <= 1.0
        assert row["reconstruction_loss"] > 0 and row["kl"] >= 0
        assert np.isfinite(row["train_kl"])
    by_id = {r["run_id"]: r for r in rows}
    assert by_id["m2_nb0.001_s0"]["beta"] == pytest.approx(0.001 * 4096 / 2)
    assert by_id["m3_b4_s0"]["normalized_beta"] == pytest.approx(4 * 3 / 4096)
    assert (tmp_path / "runs" / "m3_b4_s0" / "model.keras").exists()

    # A third run has nothing to do.
    calls = counting_train(monkeypatch)
    run_tiny(tmp_path)
    assert calls == []

    paths = sweep_plots.plot_sweep(str(tmp_path))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == [
        "rate_distortion.png",
        "reconstruction_vs_beta.png",
        "score_vs_beta_beta_vae_eval_accuracy.png",
        "score_vs_beta_beta_vae_train_accuracy.png",
        "score_vs_beta_mig.png",
    ]
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_rows_made_with_other_settings_are_refused(tmp_path, monkeypatch):
    run_tiny_grid = sweep.make_grid([2], betas=[4.0])
    sweep.run_sweep(
        run_tiny_grid,
        str(tmp_path),
        base_config=TINY,
        data=Squares(),
        metric_settings=METRIC_SETTINGS["beta_vae"],
        eval_images=8,
        verbose=0,
    )
    longer = TrainConfig(**{**TINY.__dict__, "steps_per_epoch": 4})
    with pytest.raises(ValueError, match="steps: 3 -> 4"):
        sweep.run_sweep(
            run_tiny_grid,
            str(tmp_path),
            base_config=longer,
            data=Squares(),
            verbose=0,
        )
    # The optimizer, its rate, the precision and objective options are
    # recorded too, so a rerun that changes one of them is refused.
    (row,) = sweep.read_results(str(tmp_path))
    assert row["precision"] == "float32" and row["optimizer"] == "adam"
    changes = {
        "precision: 'float32' -> 'bfloat16'": ({"precision": "bfloat16"}, None),
        "optimizer: 'adam' -> 'adagrad'": ({"optimizer": "adagrad"}, None),
        "learning_rate: 0.0005 -> 0.01": ({"learning_rate": 1e-2}, None),
        "objective_args": ({}, {"beta_vae": {"seed": 3}}),
    }
    for message, (change, objective_args) in changes.items():
        with pytest.raises(ValueError, match=message):
            sweep.run_sweep(
                run_tiny_grid,
                str(tmp_path),
                base_config=TrainConfig(**{**TINY.__dict__, **change}),
                objective_args=objective_args,
                data=Squares(),
                verbose=0,
            )


def test_rows_from_before_the_precision_column_still_resume(tmp_path):
    grid = sweep.make_grid([2], betas=[4.0], seeds=[0, 1])
    run = dict(
        base_config=TINY,
        data=Squares(),
        metric_settings=METRIC_SETTINGS["beta_vae"],
        eval_images=8,
        verbose=0,
    )
    sweep.run_sweep(grid, str(tmp_path), max_runs=1, **run)
    path = tmp_path / "results.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    later = set(sweep.LATER_COLUMNS)
    with open(path, "w", newline="") as handle:
        columns = [c for c in rows[0] if c not in later]
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows([{c: r[c] for c in columns} for r in rows])
    rows = sweep.run_sweep(grid, str(tmp_path), **run)
    assert [r["seed"] for r in rows] == [0, 1]


def test_run_killed_while_saving_is_scored_on_resume(tmp_path, monkeypatch):
    # Killed after the last step's backup, while writing its pictures: the
    # rerun restores that backup, trains nothing, and must still score it,
    # exactly as an uninterrupted run would have.
    grid = sweep.make_grid([2], betas=[4.0])
    kwargs = dict(
        base_config=TINY,
        data=Squares(),
        metrics=["beta_vae"],
        metric_settings=METRIC_SETTINGS,
        eval_images=8,
        verbose=0,
    )
    clean = sweep.run_sweep(grid, str(tmp_path / "clean"), **kwargs)

    real = training.save_pictures

    def killed(*args, **kw):
        raise KeyboardInterrupt("simulated kill while saving")

    monkeypatch.setattr(training, "save_pictures", killed)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(grid, str(tmp_path / "killed"), **kwargs)
    assert (tmp_path / "killed" / "runs" / "m2_b4_s0" / "backup").exists()
    monkeypatch.setattr(training, "save_pictures", real)
    resumed = sweep.run_sweep(grid, str(tmp_path / "killed"), **kwargs)
    assert resumed[0]["status"] == "ok"
    assert (
        resumed[0]["beta_vae_eval_accuracy"]
        == (clean[0]["beta_vae_eval_accuracy"])
    )
    assert resumed[0]["kl"] == pytest.approx(clean[0]["kl"], rel=1e-6)


def test_max_runs_trains_that_many_and_counts_the_rest(
    tmp_path, monkeypatch, capsys
):
    calls = counting_train(monkeypatch)
    rows = run_tiny(tmp_path, max_runs=1)
    assert calls == ["m2_nb0.001_s0"] and len(rows) == 1
    out = capsys.readouterr().out
    assert "0 already in" in out
    assert "1 to train (max_runs=1 of 4 missing)" in out


def test_a_nonfinite_run_is_recorded_and_not_retried(tmp_path, monkeypatch):
    from keras_bvae.callbacks.backup import NonFiniteLossError

    calls = []

    def diverging_train(config, *args, **kwargs):
        calls.append(config.output_dir)
        raise NonFiniteLossError("loss is nan at step 2")

    monkeypatch.setattr(training, "train", diverging_train)
    grid = sweep.make_grid([2], betas=[4.0])
    rows = sweep.run_sweep(
        grid,
        str(tmp_path),
        base_config=TINY,
        data=Squares(),
        eval_images=8,
        verbose=0,
    )
    assert rows[0]["status"] == "nonfinite: loss is nan at step 2"
    assert rows[0]["beta"] == 4.0 and rows[0].get("kl") is None
    assert sweep.read_results(str(tmp_path))[0]["status"] == rows[0]["status"]
    sweep.run_sweep(
        grid,
        str(tmp_path),
        base_config=TINY,
        data=Squares(),
        eval_images=8,
        verbose=0,
    )
    assert len(calls) == 1
    with pytest.raises(ValueError, match="no results for 'kl'"):
        sweep.summarize(
            rows + [{**fake_rows()[0], "status": "nonfinite"}], "kl"
        )


def fake_rows():
    """Two latent sizes, two betas each, two seeds; beta = 1 included."""
    rows = []
    for m in (4, 8):
        for beta, base in ((1.0, 0.6), (8.0, 0.8)):
            for seed, delta in ((0, -0.05), (1, 0.05)):
                rows.append(
                    {
                        "run_id": f"m{m}_b{beta:g}_s{seed}",
                        "latent_dim": m,
                        "seed": seed,
                        "beta": beta,
                        "normalized_beta": beta * m / 4096,
                        "reconstruction_loss": 100.0 * beta + delta,
                        "kl": 20.0 / beta,
                        "score": base + delta,
                    }
                )
    return rows


def test_summarize_means_and_spread_over_seeds():
    summary = sweep.summarize(fake_rows(), "score")
    assert sorted(summary) == [4, 8]
    s = summary[8]
    np.testing.assert_allclose(s["beta"], [1.0, 8.0])
    np.testing.assert_allclose(s["normalized_beta"], [8 / 4096, 64 / 4096])
    np.testing.assert_allclose(s["mean"], [0.6, 0.8])
    # sample s.d. of {x - 0.05, x + 0.05} = 0.05 * sqrt(2)
    np.testing.assert_allclose(s["std"], [0.05 * 2**0.5] * 2)
    assert list(s["count"]) == [2, 2]
    assert list(s["is_beta_one"]) == [True, False]
    with pytest.raises(ValueError, match="no results for 'mig'"):
        sweep.summarize(fake_rows(), "mig")


def test_score_figure_has_a_line_per_latent_size_and_marks_beta_one():
    figure = sweep_plots.plot_score_vs_beta(fake_rows(), "score")
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["M = 4", "M = 8", "unnormalised beta = 1"]
    assert ax.get_xscale() == "log"
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    np.testing.assert_allclose(
        sorted(x for ln in stars for x in ln.get_xdata()), [4 / 4096, 8 / 4096]
    )
    # Swept values within two decades label the axis themselves, readably.
    figure.canvas.draw()
    swept = sorted({4 / 4096, 8 / 4096, 32 / 4096, 64 / 4096})
    np.testing.assert_allclose(ax.get_xticks(), swept)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        f"{v:.3g}" for v in swept
    ]
    assert not any(t.get_text() for t in ax.get_xticklabels(minor=True))


def test_cli_plot_only_redraws_figures_from_the_csv(tmp_path, capsys):
    rows = fake_rows()
    with open(tmp_path / sweep.RESULTS_NAME, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["sweep", "--out", str(tmp_path), "--plot-only"]) == 0
    assert (tmp_path / "score_vs_beta_score.png").stat().st_size > 1000
    assert (tmp_path / "rate_distortion.png").exists()
    assert "wrote" in capsys.readouterr().out


def test_cli_reports_bad_arguments(tmp_path, capsys):
    code = main(
        [
            "sweep",
            "--out",
            str(tmp_path),
            "--steps",
            "10",
            "--steps-per-epoch",
            "3",
            "--betas",
            "1",
        ]
    )
    assert code == 2
    assert "--steps 10 is not a multiple" in capsys.readouterr().err


def test_udr_scores_the_seeds_of_each_grid_point(tmp_path):
    grid = sweep.make_grid([2], betas=[4.0, 8.0], seeds=[0, 1])
    single = sweep.make_grid([2], betas=[16.0], seeds=[0])
    rows = sweep.run_sweep(
        grid + single,
        str(tmp_path),
        base_config=TINY,
        data=Squares(),
        metrics=["mig"],
        metric_settings=METRIC_SETTINGS,
        eval_images=64,
        verbose=0,
    )
    by_id = {row["run_id"]: row for row in rows}
    for spec in grid:
        assert 0.0 <= by_id[spec.run_id]["udr"] <= 1.0
    assert by_id[single[0].run_id]["udr"] is None  # no sibling seed
    assert sweep.read_results(str(tmp_path))[0]["udr"] == rows[0]["udr"]


def test_unlabelled_images_sweep_with_udr_and_no_metrics(tmp_path):
    rng = np.random.default_rng(0)
    images = (rng.random((16, 16, 16, 3)) * 255).astype(np.uint8)
    data = ImageSet(images)
    grid = sweep.make_grid([2], betas=[4.0], seeds=[0, 1])
    with pytest.raises(UnlabelledDataError, match="udr"):
        sweep.run_sweep(
            grid, str(tmp_path), base_config=TINY, data=data, metrics=["mig"]
        )
    rows = sweep.run_sweep(
        grid,
        str(tmp_path),
        base_config=TINY,
        data=data,
        eval_images=32,
        verbose=0,
    )
    assert [row["status"] for row in rows] == ["ok", "ok"]
    assert all(0.0 <= row["udr"] <= 1.0 for row in rows)
    assert not any(key.startswith(("beta_vae", "mig")) for key in rows[0])
    paths = sweep_plots.plot_sweep(str(tmp_path))
    assert any("score_vs_beta_udr" in path for path in paths)


def test_grid_of_another_objective_varies_its_hyperparameter():
    grid = sweep.make_grid(
        [3], seeds=[0, 1], objective="factor_vae", values=[10, 40]
    )
    assert [g.run_id for g in grid[:2]] == [
        "factor_vae_gamma10_m3_s0",
        "factor_vae_gamma40_m3_s0",
    ]
    assert grid[0].setting == {"gamma": 10.0}
    assert grid[0].raw_beta(4096) is None
    with pytest.raises(ValueError, match="betas are the beta_vae grid"):
        sweep.make_grid([3], betas=[4], objective="dip_vae_i", values=[1])
    with pytest.raises(ValueError, match="takes value="):
        sweep.RunSpec(latent_dim=3, objective="dip_vae_i")
    with pytest.raises(ValueError, match="unknown objective"):
        sweep.RunSpec(latent_dim=3, objective="tc_vae", value=1.0)


def test_udr_agreement_ranks_settings_by_their_seed_medians():
    from keras_bvae.runs.sweep import udr_agreement

    def row(beta, seed, udr, mig, dci=None):
        return {
            "status": "ok",
            "latent_dim": 10,
            "beta": beta,
            "seed": seed,
            "udr": udr,
            "mig": mig,
            "dci_disentanglement": dci,
        }

    # Medians over seeds (the outlier seed of beta 1 must not matter):
    # udr 0.1, 0.5, 0.9, 0.3 -> ranks 1, 3, 4, 2; mig ranks 1, 2, 3, 4;
    # rho = 1 - 6 * (0 + 1 + 1 + 4) / (4 * 15) = 0.4.
    rows = [
        row(1, 0, 0.1, 0.10),
        row(1, 1, 0.1, 0.10),
        row(1, 2, 0.9, 0.9),
        row(4, 0, 0.5, 0.20),
        row(4, 1, 0.5, 0.20),
        row(8, 0, 0.9, 0.30),
        row(8, 1, 0.9, 0.30),
        row(16, 0, 0.3, 0.40),
        row(16, 1, 0.3, 0.40),
        {"status": "failed", "latent_dim": 10, "beta": 32, "udr": None},
    ]
    agree = udr_agreement(rows)
    assert agree["mig"]["settings"] == 4
    assert agree["mig"]["spearman"] == pytest.approx(0.4)
    assert "dci_disentanglement" not in agree  # no DCI values at all
    perfect = udr_agreement([r for r in rows if r["beta"] != 16])
    assert perfect["mig"]["spearman"] == pytest.approx(1.0)
